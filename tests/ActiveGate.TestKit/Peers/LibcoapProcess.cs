using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ActiveGate.TestKit.Peers;

/// <summary>Runs a libcoap command-line tool (Debian libcoap3-bin) and collects its output.</summary>
public sealed class LibcoapProcess : ChildProcess
{
    private LibcoapProcess(Process process)
        : base(process)
    {
    }

    public static LibcoapProcess Start(string tool, params string[] arguments)
    {
        var info = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return new LibcoapProcess(Process.Start(info) ?? throw new InvalidOperationException($"{tool} did not start"));
    }

    /// <summary>Runs a client tool to completion; returns exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(TimeSpan timeout, string tool, params string[] arguments)
    {
        await using LibcoapProcess process = Start(tool, arguments);
        if (!await process.WaitForExitAsync(timeout))
        {
            return (-1, process.Output);
        }

        // Drain the asynchronous readers.
        process.Process.WaitForExit();
        return (process.ExitCode, process.Output);
    }

    /// <summary>A UDP port p with p and p + 1 free (coap-server listens for DTLS on port + 1).</summary>
    public static int FreePortPair()
    {
        for (int attempt = 0; attempt < 100; attempt++)
        {
            int port = Random.Shared.Next(20000, 60000);
            if (IsFree(port) && IsFree(port + 1))
            {
                return port;
            }
        }

        throw new InvalidOperationException("No free UDP port pair found.");
    }

    public static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>Waits until a UDP socket is bound on the port (the server is ready).</summary>
    public static async Task WaitForUdpPortAsync(int port, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (!IsFree(port))
            {
                return;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"Nothing bound UDP port {port}.");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
