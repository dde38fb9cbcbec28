using System.Diagnostics;
using ActiveGate.TestKit;

namespace ActiveGate.Agent.Tests.EndToEnd;

/// <summary><c>activegate-sim</c> as a child process: the radio board and the mesh on a pseudo-terminal.</summary>
internal sealed class SimulatorProcess : ChildProcess
{
    private SimulatorProcess(Process process, string link)
        : base(process)
    {
        Link = link;
    }

    /// <summary>The symlink to the pty: the agent's <c>Radio:Port</c>.</summary>
    public string Link { get; }

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
            Assert.False(simulator.HasExited, "the simulator exited: " + simulator.Output);
            await Task.Delay(50);
        }

        Assert.True(File.Exists(link), "the simulator made no pty link: " + simulator.Output);
        return simulator;
    }
}
