namespace MlopsNotebooks.Tracking;

/// <summary>
/// SIGTERM arrives while a training loop logs on its own thread: the signal handler writes every buffered point and
/// ends the runs as Killed, and the loop keeps calling the API meanwhile. A logging call made once that has begun
/// waits for the process to exit instead of failing on a run that was just ended (an unhandled exception would turn
/// the orderly exit into a crash) or returning as if its point will be written when the last flush is already done.
/// </summary>
internal static class ProcessShutdown
{
    private static volatile bool _terminating;

    public static bool Terminating => _terminating;

    public static void Begin() => _terminating = true;

    /// <summary>Returns at once normally; once the process is terminating, blocks until it exits.</summary>
    public static void WaitIfTerminating()
    {
        if (_terminating)
        {
            Thread.Sleep(Timeout.Infinite);
        }
    }
}
