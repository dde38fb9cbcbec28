using System.Diagnostics;
using System.Text.Json;

namespace ActiveGate.Agent.Tests.Hosting;

public sealed class AgentLifecycleTests
{
    [Theory]
    [InlineData(NativeMethods.SigTerm)]
    [InlineData(NativeMethods.SigInt)]
    public async Task Agent_stops_cleanly_within_five_seconds_of_a_signal(int signal)
    {
        await using AgentProcess agent = AgentProcess.Start(["run"]);
        await agent.WaitForSocketAsync(TimeSpan.FromSeconds(30));

        var stopwatch = Stopwatch.StartNew();
        agent.Signal(signal);
        Assert.True(await agent.WaitForExitAsync(TimeSpan.FromSeconds(5)), "no exit within 5 s: " + agent.Output);

        Assert.Equal(0, agent.ExitCode);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        Assert.Contains("ActiveGate stopped", agent.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(agent.SocketPath), "the diagnostics socket was left behind");
        string log = await File.ReadAllTextAsync(Path.Combine(agent.WorkingDirectory, ".run", "log", "activegate.log"));
        Assert.Contains("ActiveGate stopped", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_reports_version_uptime_config_source_and_parts_of_the_running_agent()
    {
        string directory = AgentProcess.NewScratchDirectory();
        string config = Path.Combine(directory, "extra.json");
        await File.WriteAllTextAsync(config, """{ "Log": { "Level": "Debug" } }""");
        await using AgentProcess agent = AgentProcess.Start(["run", "--config", config], workingDirectory: directory);
        await agent.WaitForSocketAsync(TimeSpan.FromSeconds(30));

        (int exitCode, string output) = await AgentProcess.RunToEndAsync(["status", "--json"], directory);

        Assert.Equal(0, exitCode);
        using JsonDocument status = JsonDocument.Parse(output);
        JsonElement root = status.RootElement;
        Assert.Equal(agent.Id, root.GetProperty("pid").GetInt32());
        Assert.False(string.IsNullOrEmpty(root.GetProperty("version").GetString()));
        Assert.True(root.GetProperty("uptimeSeconds").GetDouble() >= 0);
        Assert.Equal(config, Assert.Single(root.GetProperty("configSources").EnumerateArray()).GetString());
        JsonElement host = Assert.Single(root.GetProperty("parts").EnumerateArray(), p => p.GetProperty("name").GetString() == "host");
        Assert.Equal("ok", host.GetProperty("status").GetString());

        (int textExit, string text) = await AgentProcess.RunToEndAsync(["status"], directory);
        Assert.Equal(0, textExit);
        Assert.Contains("health:  ok", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_without_a_running_agent_says_so_and_exits_3()
    {
        (int exitCode, string output) = await AgentProcess.RunToEndAsync(["status"]);

        Assert.Equal(3, exitCode);
        Assert.Contains("not running", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_agent_on_the_same_socket_refuses_to_start()
    {
        await using AgentProcess first = AgentProcess.Start(["run"]);
        await first.WaitForSocketAsync(TimeSpan.FromSeconds(30));

        (int exitCode, string output) = await AgentProcess.RunToEndAsync(["run"], first.WorkingDirectory);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("already running", output, StringComparison.Ordinal);
        Assert.False(first.HasExited);
    }

    [Fact]
    public async Task Version_flag_prints_the_version()
    {
        (int exitCode, string output) = await AgentProcess.RunToEndAsync(["--version"]);

        Assert.Equal(0, exitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", output.Trim());
    }

    [Theory]
    [InlineData("switch", "00124b000a010001", "1", "maybe")]
    [InlineData("no-such-command")]
    [InlineData("status", "--no-such-option")]
    public async Task Usage_errors_exit_2_with_the_reason(params string[] arguments)
    {
        (int exitCode, string output) = await AgentProcess.RunToEndAsync(arguments);

        Assert.Equal(2, exitCode);
        Assert.Contains("Usage:", output, StringComparison.Ordinal);
    }
}
