using System.Diagnostics;
using System.Text;

namespace ActiveGate.Agent.Tests.EndToEnd;

/// <summary><c>activegate-sim</c> as a child process: the radio board and the mesh on a pseudo-terminal.</summary>
internal sealed class SimulatorProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private SimulatorProcess(Process process, string link)
    {
        _process = process;
        Link = link;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>The symlink to the pty: the agent's <c>Radio:Port</c>.</summary>
    public string Link { get; }

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

    public static async Task<SimulatorProcess> StartAsync(string directory, params string[] arguments)
    {
        string link = Path.Combine(directory, "radio.pty");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "activegate-sim.dll"));
        start.ArgumentList.Add("--link");
        start.ArgumentList.Add(link);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var simulator = new SimulatorProcess(Process.Start(start)!, link);
        for (int i = 0; i < 300 && !File.Exists(link); i++)
        {
            Assert.False(simulator._process.HasExited, "the simulator exited: " + simulator.Output);
            await Task.Delay(50);
        }

        Assert.True(File.Exists(link), "the simulator made no pty link: " + simulator.Output);
        return simulator;
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
