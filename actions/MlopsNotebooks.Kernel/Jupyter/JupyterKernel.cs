using System.Text.Json.Nodes;
using MlopsNotebooks.Kernel.Assist;
using MlopsNotebooks.Notebooks;
using MlopsNotebooks.Runner.Interactive;
using NetMQ;
using NetMQ.Sockets;

namespace MlopsNotebooks.Kernel.Jupyter;

/// <summary>
/// A C# Jupyter kernel: Jupyter's messaging protocol 5.3 over ZeroMQ in front of one <see cref="InteractiveSession"/>.
/// Shell requests are handled one at a time, in order, on the shell thread; control (interrupt, shutdown) and the
/// heartbeat have threads of their own so that they answer while a cell runs. The engine warms up in the background once
/// the sockets are bound, so the client sees the kernel answer before the compiler has loaded.
/// </summary>
public sealed class JupyterKernel : IDisposable
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    private readonly ConnectionInfo _connection;
    private readonly WireFormat _wire;
    private readonly TextWriter _log;
    private readonly string _session = Guid.NewGuid().ToString();
    private readonly List<NetMQSocket> _sockets = [];
    private readonly List<Thread> _threads = [];
    private readonly List<NetMQPoller> _pollers = [];
    private readonly RouterSocket _shell;
    private readonly RouterSocket _control;
    private readonly RouterSocket _stdin;
    private readonly PublisherSocket _iopub;
    private readonly ResponseSocket _heartbeat;
    private readonly Lock _iopubLock = new();
    private readonly Lock _stdinLock = new();
    private readonly ManualResetEventSlim _stopped = new();
    private readonly Lazy<Task<InteractiveSession>> _engine;
    private readonly Lazy<Task<CodeAssistant>> _assistant;
    private int _interrupts;

    /// <summary>Binds the five sockets; a port another program holds is an error naming it.</summary>
    public JupyterKernel(ConnectionInfo connection, InteractiveOptions options, TextWriter log)
    {
        _connection = connection;
        _wire = new WireFormat(connection.Key);
        _log = log;
        _engine = new(() => Task.Run(async () =>
        {
            var session = new InteractiveSession(options);
            await session.StartAsync();
            return session;
        }));
        // Completion's services warm up after the engine and apart from it: a first cell does not wait for them.
        _assistant = new(() => _engine.Value.ContinueWith(async engine =>
        {
            var assistant = new CodeAssistant(await engine, log);
            await assistant.WarmUpAsync();
            return assistant;
        }).Unwrap());
        try
        {
            _shell = Bind(new RouterSocket(), connection.ShellPort, "shell");
            _iopub = Bind(new PublisherSocket(), connection.IopubPort, "iopub");
            _stdin = Bind(new RouterSocket(), connection.StdinPort, "stdin");
            _control = Bind(new RouterSocket(), connection.ControlPort, "control");
            _heartbeat = Bind(new ResponseSocket(), connection.HbPort, "heartbeat");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Runs the kernel until a client asks it to shut down; returns the exit code.</summary>
    public static int Run(ConnectionInfo connection, InteractiveOptions options, TextWriter log)
    {
        using var kernel = new JupyterKernel(connection, options, log);
        return kernel.Run();
    }

    private int Run()
    {
        Publish("status", new JsonObject { ["execution_state"] = "starting" }, parent: null);
        ServeShell();
        ServeControl();
        Serve("heartbeat", _heartbeat, Heartbeat);
        _ = _engine.Value; // warm the compiler while the client connects
        _stopped.Wait();
        return 0;
    }

    private T Bind<T>(T socket, int port, string name) where T : NetMQSocket
    {
        _sockets.Add(socket);
        socket.Options.Linger = TimeSpan.Zero;
        try
        {
            socket.Bind(_connection.Address(port));
        }
        catch (NetMQException e)
        {
            throw new MlopsException($"The kernel cannot listen on {_connection.Ip}:{port} ({name}): {e.Message}",
                "Another program holds that port: restart the kernel so that Jupyter picks free ports, or end the program that holds it.");
        }
        return socket;
    }

    /// <summary>
    /// Serves <paramref name="socket"/> on a thread of its own, one message at a time. A poller waits on the socket, not
    /// a timed receive: an idle kernel does not wake, and a shutdown stops every loop at once instead of within a poll.
    /// </summary>
    private void Serve(string name, NetMQSocket socket, Action handle, params NetMQTimer[] timers)
    {
        var poller = new NetMQPoller { socket };
        foreach (var timer in timers)
        {
            poller.Add(timer);
        }
        socket.ReceiveReady += (_, _) =>
        {
            // The poller makes itself the thread's synchronization context; a cell's awaits, waited on below, must not
            // queue their continuations to the thread that waits for them.
            SynchronizationContext.SetSynchronizationContext(null);
            handle();
        };
        _pollers.Add(poller);
        var thread = new Thread(poller.Run) { IsBackground = true, Name = "kernel " + name };
        _threads.Add(thread);
        thread.Start();
        SpinWait.SpinUntil(() => poller.IsRunning || !thread.IsAlive); // a poller not yet running cannot be stopped
    }

    private void Heartbeat()
    {
        if (_heartbeat.TryReceiveFrameBytes(TimeSpan.Zero, out var ping))
        {
            _heartbeat.SendFrame(ping);
        }
    }

    private void ServeShell()
    {
        // Completion's services warm up once the client has left the kernel idle for a second: built at start, they took
        // a core from the first cells (a notebook through nbconvert ran 1.5 s slower on two cores).
        var idle = new NetMQTimer(IdleBeforeWarmUp);
        idle.Elapsed += (_, _) =>
        {
            if (_engine.Value.IsCompleted && !_assistant.IsValueCreated)
            {
                _ = _assistant.Value;
            }
            idle.Enable = !_assistant.IsValueCreated;
        };
        Serve("shell", _shell, () =>
        {
            if (Receive(_shell, "shell", TimeSpan.Zero) is not { } request || _stopped.IsSet)
            {
                return;
            }
            if (Handle(request, _shell, ShellReply))
            {
                AbortQueued();
            }
            if (!_assistant.IsValueCreated)
            {
                idle.EnableAndReset();
            }
        }, idle);
    }

    private static readonly TimeSpan IdleBeforeWarmUp = TimeSpan.FromSeconds(1);

    private void ServeControl() => Serve("control", _control, () =>
    {
        if (Receive(_control, "control", TimeSpan.Zero) is { } request)
        {
            Handle(request, _control, ControlReply);
        }
    });

    /// <summary>
    /// Status busy, the request's reply on <paramref name="socket"/> (and its IOPub messages), status idle, all with the
    /// request as parent. True when it was a failed execution that asked to stop on error.
    /// </summary>
    private bool Handle(JupyterMessage request, NetMQSocket socket, Func<JupyterMessage, (JsonObject? Reply, bool StopOnError)> handle)
    {
        Publish("status", new JsonObject { ["execution_state"] = "busy" }, request);
        var stop = false;
        try
        {
            var (reply, stopOnError) = handle(request);
            stop = stopOnError;
            if (reply is not null)
            {
                Send(socket, JupyterMessage.Create(request.ReplyType, reply, request, _session));
            }
        }
        catch (Exception e)
        {
            // A bug of ours must not end the kernel: the client gets an error reply and the notebook goes on.
            _log.WriteLine($"mlops kernel: {request.Type} failed: {e.GetType().Name}: {e.Message}");
            Send(socket, JupyterMessage.Create(request.ReplyType, Failed(e.GetType().Name, e.Message, []), request, _session));
        }
        finally
        {
            Publish("status", new JsonObject { ["execution_state"] = "idle" }, request);
        }
        return stop;
    }

    private (JsonObject?, bool) ShellReply(JupyterMessage request) => request.Type switch
    {
        "kernel_info_request" => (KernelInfo.Reply(), false),
        "execute_request" => Execute(request),
        "complete_request" => (Complete(request.Content), false),
        "inspect_request" => (Inspect(request.Content), false),
        "is_complete_request" => (IsComplete(request.Content), false),
        "comm_info_request" => (new JsonObject { ["status"] = "ok", ["comms"] = new JsonObject() }, false),
        "comm_open" => (CloseComm(request), false),
        "comm_msg" or "comm_close" => (null, false),
        "history_request" => (new JsonObject { ["status"] = "ok", ["history"] = new JsonArray() }, false),
        "shutdown_request" => (Shutdown(request), false),
        _ => (Unknown(request, "shell"), false),
    };

    private (JsonObject?, bool) ControlReply(JupyterMessage request) => request.Type switch
    {
        "interrupt_request" => (Interrupt(), false),
        "shutdown_request" => (Shutdown(request), false),
        "kernel_info_request" => (KernelInfo.Reply(), false),
        _ => (Unknown(request, "control"), false),
    };

    private JsonObject? Unknown(JupyterMessage request, string channel)
    {
        _log.WriteLine($"mlops kernel: ignored a {request.Type} message on {channel} (not a request this kernel answers).");
        return null;
    }

    /// <summary>
    /// After a failed cell that asked to stop on error, the execute requests already queued behind it are answered
    /// "aborted" without running (a notebook run stops at the failure); other requests are answered as usual.
    /// </summary>
    private void AbortQueued()
    {
        while (Receive(_shell, "shell", TimeSpan.Zero) is { } queued)
        {
            Handle(queued, _shell, request => request.Type == "execute_request"
                ? (new JsonObject { ["status"] = "aborted", ["execution_count"] = Engine().ExecutionCount }, false)
                : ShellReply(request));
        }
    }

    private (JsonObject, bool StopOnError) Execute(JupyterMessage request)
    {
        var content = request.Content;
        var code = Text(content, "code") ?? "";
        var silent = Flag(content, "silent", false);
        var storeHistory = Flag(content, "store_history", true) && !silent; // silent forces store_history off
        var session = Engine();
        if (!silent)
        {
            var count = session.ExecutionCount + (storeHistory ? 1 : 0);
            Publish("execute_input", new JsonObject { ["code"] = code, ["execution_count"] = count }, request);
        }
        var outputs = new PublishedOutputs(this, request, silent, Flag(content, "allow_stdin", true));
        ExecuteOutcome outcome;
        try
        {
            outcome = session.ExecuteAsync(new ExecuteRequest(code)
            {
                Silent = silent,
                StoreHistory = storeHistory,
                NotebookPath = NotebookPaths.FromCellMetadata(request.Metadata),
            }, outputs).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The engine's own failure (a session that could not start: a bad tracking store) fails the cell, not the kernel.
            outputs.Add(CellOutput.Error(e is MlopsException ? "MlopsException" : e.GetType().Name, (e as MlopsException)?.Describe() ?? e.Message, []));
            outcome = new ExecuteOutcome(session.ExecutionCount, new Runner.CellFailure("KernelError", null, e.Message), Interrupted: false);
        }
        if (outcome.Succeeded)
        {
            return (new JsonObject
            {
                ["status"] = "ok", ["execution_count"] = outcome.ExecutionCount, ["user_expressions"] = new JsonObject(), ["payload"] = new JsonArray(),
            }, false);
        }
        var error = outputs.LastError;
        var reply = Failed(error?.ErrorName ?? outcome.Failure?.Kind ?? "Interrupted", error?.ErrorValue ?? outcome.Failure?.Message ?? "interrupted", error?.Traceback ?? []);
        reply["execution_count"] = outcome.ExecutionCount;
        return (reply, Flag(content, "stop_on_error", true));
    }

    private JsonObject Complete(JsonObject content)
    {
        var code = Text(content, "code") ?? "";
        var cursor = CodePoints.ToUtf16(code, Number(content, "cursor_pos") ?? CodePoints.FromUtf16(code, code.Length));
        var completions = Assistant().CompleteAsync(code, cursor).GetAwaiter().GetResult();
        return new JsonObject
        {
            ["status"] = "ok",
            ["matches"] = new JsonArray([.. completions.Matches.Select(m => (JsonNode?)m)]),
            ["cursor_start"] = CodePoints.FromUtf16(code, completions.CursorStart),
            ["cursor_end"] = CodePoints.FromUtf16(code, completions.CursorEnd),
            ["metadata"] = new JsonObject
            {
                ["_jupyter_types_experimental"] = new JsonArray([.. completions.Kinds.Select(k => (JsonNode?)new JsonObject
                {
                    ["text"] = k.Text, ["type"] = k.Type, ["start"] = CodePoints.FromUtf16(code, k.Start), ["end"] = CodePoints.FromUtf16(code, k.End),
                    ["signature"] = "", // hover gives it: a signature per item made completion slow
                })]),
            },
        };
    }

    private JsonObject Inspect(JsonObject content)
    {
        var code = Text(content, "code") ?? "";
        var cursor = CodePoints.ToUtf16(code, Number(content, "cursor_pos") ?? 0);
        var inspection = Assistant().InspectAsync(code, cursor, Number(content, "detail_level") ?? 0).GetAwaiter().GetResult();
        return new JsonObject
        {
            ["status"] = "ok",
            ["found"] = inspection is not null,
            ["data"] = inspection is null ? new JsonObject() : new JsonObject { ["text/plain"] = inspection.PlainText, ["text/markdown"] = inspection.Markdown },
            ["metadata"] = new JsonObject(),
        };
    }

    private static JsonObject IsComplete(JsonObject content)
    {
        var completeness = CodeAssistant.IsComplete(Text(content, "code") ?? "");
        var reply = new JsonObject { ["status"] = completeness.Status };
        if (completeness.Status == "incomplete")
        {
            reply["indent"] = completeness.Indent;
        }
        return reply;
    }

    /// <summary>No comm targets are registered here: a comm the client opens is closed at once, as the protocol asks.</summary>
    private JsonObject? CloseComm(JupyterMessage request)
    {
        Publish("comm_close", new JsonObject { ["comm_id"] = Text(request.Content, "comm_id") ?? "", ["data"] = new JsonObject() }, request);
        return null;
    }

    private JsonObject Interrupt()
    {
        Interlocked.Increment(ref _interrupts);
        if (_engine.IsValueCreated && _engine.Value.IsCompletedSuccessfully)
        {
            _engine.Value.Result.Interrupt();
        }
        return new JsonObject { ["status"] = "ok" };
    }

    private JsonObject Shutdown(JupyterMessage request)
    {
        var reply = new JsonObject { ["status"] = "ok", ["restart"] = Flag(request.Content, "restart", false) };
        Publish("shutdown_reply", (JsonObject)reply.DeepClone(), request); // clients that watch IOPub learn of it too
        _stopped.Set();
        Interrupt(); // a running cell ends, so the shell thread sees the stop
        return reply;
    }

    private static JsonObject Failed(string name, string value, IEnumerable<string> traceback)
    {
        var reply = OutputMessages.Error(name, value, traceback);
        reply["status"] = "error";
        return reply;
    }

    private InteractiveSession Engine() => _engine.Value.GetAwaiter().GetResult();

    private CodeAssistant Assistant() => _assistant.Value.GetAwaiter().GetResult();

    /// <summary>
    /// Asks the client that sent <paramref name="request"/> for a line (input_request on stdin) and waits for its
    /// input_reply; null when the kernel is interrupted or shut down while waiting.
    /// </summary>
    internal string? Input(JupyterMessage request, string prompt, bool password)
    {
        lock (_stdinLock)
        {
            var interrupts = Volatile.Read(ref _interrupts);
            Send(_stdin, JupyterMessage.Create("input_request", new JsonObject { ["prompt"] = prompt, ["password"] = password }, request, _session));
            while (!_stopped.IsSet && Volatile.Read(ref _interrupts) == interrupts)
            {
                if (Receive(_stdin, "stdin", Poll) is { Type: "input_reply" } reply)
                {
                    return Text(reply.Content, "value") ?? "";
                }
            }
            return null;
        }
    }

    internal void Publish(string type, JsonObject content, JupyterMessage? parent)
    {
        var topic = System.Text.Encoding.ASCII.GetBytes($"kernel.{_session}.{type}");
        var message = JupyterMessage.Create(type, content, parent, _session, identities: [topic]);
        lock (_iopubLock)
        {
            Send(_iopub, message);
        }
    }

    private void Send(NetMQSocket socket, JupyterMessage message) => socket.SendMultipartBytes(_wire.Encode(message));

    /// <summary>The next good message on the socket, or null; a malformed or badly signed one is dropped with a line on stderr.</summary>
    private JupyterMessage? Receive(NetMQSocket socket, string channel, TimeSpan timeout)
    {
        var frames = new List<byte[]>();
        if (!socket.TryReceiveMultipartBytes(timeout, ref frames))
        {
            return null;
        }
        try
        {
            return _wire.Decode(frames);
        }
        catch (MalformedMessageException e)
        {
            _log.WriteLine($"mlops kernel: dropped a message on {channel}: {e.Message}.");
            return null;
        }
    }

    private static string? Text(JsonObject json, string name) =>
        json[name] is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String ? v.GetValue<string>() : null;

    private static bool Flag(JsonObject json, string name, bool fallback) =>
        json[name] is JsonValue v && v.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False ? v.GetValue<bool>() : fallback;

    private static int? Number(JsonObject json, string name) =>
        json[name] is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number && v.TryGetValue<int>(out var n) ? n : null;

    public void Dispose()
    {
        _stopped.Set();
        // Sockets are closed only once their loops have ended, or a loop would read a closed socket. A cell that
        // ignores the interrupt does not hold the shutdown past the grace.
        foreach (var poller in _pollers.Where(p => p.IsRunning))
        {
            poller.StopAsync();
        }
        var grace = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        foreach (var thread in _threads)
        {
            thread.Join(grace - DateTime.UtcNow is { Ticks: > 0 } left ? left : TimeSpan.Zero);
        }
        if (_assistant.IsValueCreated && _assistant.Value.IsCompletedSuccessfully)
        {
            _assistant.Value.Result.Dispose();
        }
        if (_engine.IsValueCreated && _engine.Value.IsCompletedSuccessfully)
        {
            _engine.Value.Result.Dispose(); // ends the session's active runs, as a kernel shutdown does
        }
        if (_threads.Any(t => t.IsAlive))
        {
            return; // the process is ending: its sockets close with it
        }
        foreach (var poller in _pollers)
        {
            poller.Dispose();
        }
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }
        NetMQConfig.Cleanup(block: false);
    }
}
