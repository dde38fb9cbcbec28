using System.Diagnostics;
using System.Text;
using ActiveGate.Agent.Cli;
using ActiveGate.TestKit.Peers;

namespace ActiveGate.Agent.Tests.Cli.Coap;

/// <summary>The real <c>activegate</c> executable: exit codes through Program.Main and a clean stop on SIGTERM.</summary>
public sealed class CoapServeProcessTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("coap-serve-proc-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task Serve_answers_then_exits_0_on_SIGTERM()
    {
        string executable = Path.Combine(AppContext.BaseDirectory, "activegate");
        Assert.True(File.Exists(executable), "the activegate apphost is copied next to the tests");
        int port = LibcoapProcess.FreePort();
        var output = new StringBuilder();
        using var process = new Process
        {
            StartInfo = new ProcessStartInfo(executable, ["coap", "serve", "--port", port.ToString(), "--dir", _dir.FullName])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            },
        };
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await LibcoapProcess.WaitForUdpPortAsync(port, TimeSpan.FromSeconds(15));
            var missing = await LibcoapProcess.RunAsync(TimeSpan.FromSeconds(10), executable, "coap", "get", $"coap://127.0.0.1:{port}/absent.txt");
            Assert.Equal(ExitCodes.RemoteError, missing.ExitCode);
            Assert.Contains("4.04 Not Found", missing.Output, StringComparison.Ordinal);

            using (Process kill = Process.Start("kill", ["-TERM", process.Id.ToString()]))
            {
                await kill.WaitForExitAsync();
            }

            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(cts.Token);
            process.WaitForExit();
            Assert.Equal(ExitCodes.Ok, process.ExitCode);
            lock (output)
            {
                Assert.Contains("Stopped.", output.ToString(), StringComparison.Ordinal);
            }
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }
}
