using System.Net;
using System.Net.Sockets;

namespace MlopsNotebooks.Tests.Support;

/// <summary>Loopback ports for the servers the tests start.</summary>
public static class Ports
{
    /// <summary>A port nothing listens on now (the system's pick), for a server to bind next.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
