using System.Net.Sockets;
using System.Text;

namespace ActiveGate.Agent.Tests.Systemd;

/// <summary>The real executable against a real NOTIFY_SOCKET, as systemd runs it.</summary>
public sealed class SystemdNotifyProcessTests
{
    [Fact]
    public async Task Agent_sends_READY_then_periodic_WATCHDOG_then_STOPPING()
    {
        string directory = AgentProcess.NewScratchDirectory();
        string notifyPath = Path.Combine(directory, "notify.sock");
        using var notifySocket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notifySocket.Bind(new UnixDomainSocketEndPoint(notifyPath));

        // .NET enables its systemd integration only when the parent process is called "systemd".
        string launcher = Path.Combine(directory, "systemd");
        await File.WriteAllTextAsync(launcher, "#!/bin/sh\n\"$@\"\n");
        File.SetUnixFileMode(launcher, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        await using AgentProcess agent = AgentProcess.Start(
            ["run"],
            new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notifyPath, ["WATCHDOG_USEC"] = "400000" },
            directory,
            launcher);

        var messages = new List<string>();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (messages.Count(m => m == "WATCHDOG=1") < 4)
        {
            int received = await notifySocket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            messages.Add(Encoding.UTF8.GetString(buffer, 0, received).Trim());
        }

        int ready = messages.IndexOf("READY=1");
        Assert.True(ready >= 0, "no READY=1 among: " + string.Join(" | ", messages));
        Assert.True(File.Exists(agent.SocketPath), "READY=1 came before the diagnostics socket was bound");
        Assert.True(messages.LastIndexOf("WATCHDOG=1") > ready);

        // The launcher shell does not forward signals: stop the agent itself, as systemd would.
        int agentPid = int.Parse((await File.ReadAllTextAsync($"/proc/{agent.Id}/task/{agent.Id}/children")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(0, NativeMethods.Kill(agentPid, NativeMethods.SigTerm));
        using var stopTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        string message;
        do
        {
            int received = await notifySocket.ReceiveAsync(buffer, SocketFlags.None, stopTimeout.Token);
            message = Encoding.UTF8.GetString(buffer, 0, received).Trim();
        }
        while (message != "STOPPING=1");

        Assert.True(await agent.WaitForExitAsync(TimeSpan.FromSeconds(5)), agent.Output);
        Assert.Equal(0, agent.ExitCode);
    }
}
