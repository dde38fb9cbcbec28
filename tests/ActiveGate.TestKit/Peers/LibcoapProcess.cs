using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ActiveGate.TestKit.Peers;

/// <summary>Runs a libcoap command-line tool (Debian libcoap3-bin) and collects its output.</summary>
public sealed class LibcoapProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private LibcoapProcess(Process process)
    {
        _process = process;
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

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

        var process = new Process { StartInfo = info };
        var result = new LibcoapProcess(process);
        process.OutputDataReceived += (_, e) => result.Append(e.Data);
        process.ErrorDataReceived += (_, e) => result.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return result;
    }

    /// <summary>Runs a client tool to completion; returns exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(TimeSpan timeout, string tool, params string[] arguments)
    {
        await using LibcoapProcess process = Start(tool, arguments);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process._process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            return (-1, process.Output);
        }

        // Drain the asynchronous readers.
        process._process.WaitForExit();
        return (process._process.ExitCode, process.Output);
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

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
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

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
