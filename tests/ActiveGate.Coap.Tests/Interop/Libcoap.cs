using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ActiveGate.Coap.Tests.Interop;

/// <summary>Runs libcoap's command-line tools (Debian libcoap3-bin) as real peers.</summary>
internal static class Libcoap
{
    public static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>Runs a tool to completion (killed after <paramref name="timeout"/>); returns exit code, stdout and stderr.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(string tool, string arguments, TimeSpan timeout)
    {
        using var process = Start(tool, arguments);
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        return (process.ExitCode, await output, await error);
    }

    public static Process Start(string tool, string arguments)
    {
        var info = new ProcessStartInfo(tool, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        return Process.Start(info) ?? throw new InvalidOperationException($"Could not start {tool}.");
    }
}

/// <summary>A coap-server-notls process on a free loopback port, killed on dispose.</summary>
internal sealed class LibcoapServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private LibcoapServer(Process process, int port)
    {
        _process = process;
        Port = port;
        _process.OutputDataReceived += (_, e) => { lock (_log) { _log.AppendLine(e.Data); } };
        _process.ErrorDataReceived += (_, e) => { lock (_log) { _log.AppendLine(e.Data); } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Port { get; }

    public Uri BaseUri => new($"coap://127.0.0.1:{Port}");

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public static async Task<LibcoapServer> StartAsync(string extraArguments = "-d 10")
    {
        int port = Libcoap.FreeUdpPort();
        var server = new LibcoapServer(Libcoap.Start("coap-server-notls", $"-A 127.0.0.1 -p {port} {extraArguments}"), port);

        // Wait until it answers: coap-client against it is the simplest readiness probe.
        for (int attempt = 0; attempt < 50; attempt++)
        {
            (int exit, string output, _) = await Libcoap.RunAsync("coap-client-notls", $"-B 1 -m get coap://127.0.0.1:{port}/time", TimeSpan.FromSeconds(3));
            if (exit == 0 && output.Length > 0)
            {
                return server;
            }

            await Task.Delay(100);
        }

        await server.DisposeAsync();
        throw new InvalidOperationException("coap-server-notls did not come up.");
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
        finally
        {
            _process.Dispose();
        }
    }
}
