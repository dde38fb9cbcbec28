using System.Diagnostics;
using System.Text.Json;
using ActiveGate.TestKit.OneM2m;

namespace ActiveGate.Agent.Tests.Cli;

/// <summary><c>activegate upstream</c>, <c>upstream switch</c> and <c>upstream reset</c> against a running agent (no radio).</summary>
public sealed class UpstreamCommandTests
{
    [Fact]
    public async Task A_technician_moves_the_gateway_the_policy_survives_a_restart_and_reset_returns_to_the_configuration()
    {
        string directory = AgentProcess.NewScratchDirectory();
        await using TestCse a = TestCse.Start();
        await using TestCse b = TestCse.Start();
        var environment = new Dictionary<string, string>
        {
            ["ACTIVEGATE__Radio__Mode"] = "None",
            ["ACTIVEGATE__Upstream__Url"] = a.BaseUrl.ToString(),
        };
        await using (AgentProcess agent = AgentProcess.Start(["run"], environment, directory))
        {
            await agent.WaitForSocketAsync(TimeSpan.FromSeconds(30));
            JsonElement readings = await ReadingsServiceAsync(directory);
            Assert.Equal("configuration", readings.GetProperty("source").GetString());
            Assert.Equal(a.BaseUrl.ToString(), readings.GetProperty("policy").GetProperty("url").GetString());

            // Refused: nothing changes, and the exit code says so under --json too.
            foreach (string bad in new[] { "ftp://127.0.0.1:21/", "http://127.0.0.1:0/", "not a url" })
            {
                (int refusedExit, string refusedOutput) = await AgentProcess.RunToEndAsync(["upstream", "switch", "readings", bad, "--json"], directory);
                Assert.True(refusedExit == 4, $"{bad}: exit {refusedExit}: {refusedOutput}");
            }

            Assert.Equal(a.BaseUrl.ToString(), (await ReadingsServiceAsync(directory)).GetProperty("policy").GetProperty("url").GetString());

            (int exit, string output) = await AgentProcess.RunToEndAsync(["upstream", "switch", "readings", b.BaseUrl.ToString(), "--json"], directory);
            Assert.True(exit == 0, output);
            Assert.True(JsonDocument.Parse(output).RootElement.GetProperty("accepted").GetBoolean());
            await UntilAsync(async () => (await ReadingsServiceAsync(directory)).GetProperty("state").GetString() == "active"
                && (await ReadingsServiceAsync(directory)).GetProperty("switches").GetInt64() == 1, TimeSpan.FromSeconds(20));
            Assert.NotNull(b.Find("cse-in/ActiveGate01")); // the new platform got the AE before the switch

            (exit, output) = await AgentProcess.RunToEndAsync(["upstream"], directory);
            Assert.True(exit == 0, output);
            Assert.Contains("set by operator", output, StringComparison.Ordinal);
            Assert.Contains(b.BaseUrl.ToString(), output, StringComparison.Ordinal);
        }

        // The written policy wins over Upstream:Url after a restart, and the log says so with both values.
        File.Delete(Path.Combine(directory, ".run", "activegate.sock")); // the first agent's, so the wait below is for the new one
        await using (AgentProcess agent = AgentProcess.Start(["run"], environment, directory))
        {
            await agent.WaitForSocketAsync(TimeSpan.FromSeconds(30));
            JsonElement readings = await ReadingsServiceAsync(directory);
            Assert.Equal("operator", readings.GetProperty("source").GetString());
            Assert.Equal(b.BaseUrl.ToString(), readings.GetProperty("policy").GetProperty("url").GetString());
            await UntilAsync(() => Task.FromResult(agent.Output.Contains("not the configuration's", StringComparison.Ordinal)), TimeSpan.FromSeconds(10));

            (int exit, string output) = await AgentProcess.RunToEndAsync(["upstream", "reset", "--json"], directory);
            Assert.True(exit == 0, output);
            await UntilAsync(async () =>
            {
                JsonElement r = await ReadingsServiceAsync(directory);
                return r.GetProperty("source").GetString() == "configuration" && r.GetProperty("state").GetString() == "active"
                    && r.GetProperty("generation").GetProperty("endpoint").GetProperty("url").GetString() == a.BaseUrl.ToString();
            }, TimeSpan.FromSeconds(20));
        }

        Assert.Empty(a.Violations);
        Assert.Empty(b.Violations);
    }

    [Fact]
    public async Task An_unreadable_policy_file_is_reported_and_the_configuration_applies()
    {
        string directory = AgentProcess.NewScratchDirectory();
        await using TestCse a = TestCse.Start();
        string state = Path.Combine(directory, ".run", "state");
        Directory.CreateDirectory(state);
        await File.WriteAllTextAsync(Path.Combine(state, "upstream-policy.json"), "{\"services\":[{\"id\":0,\"name\":\"readings\",\"source\":\"Lwm2m\",\"endpoint\":{\"url\":\"gopher://x\"");
        await using AgentProcess agent = AgentProcess.Start(["run"], new Dictionary<string, string>
        {
            ["ACTIVEGATE__Radio__Mode"] = "None",
            ["ACTIVEGATE__Upstream__Url"] = a.BaseUrl.ToString(),
        }, directory);
        await agent.WaitForSocketAsync(TimeSpan.FromSeconds(30));
        JsonElement readings = await ReadingsServiceAsync(directory);
        Assert.Equal("configuration", readings.GetProperty("source").GetString());
        Assert.Equal(a.BaseUrl.ToString(), readings.GetProperty("policy").GetProperty("url").GetString());
        Assert.Contains("unreadable", agent.Output, StringComparison.Ordinal);
    }

    private static async Task<JsonElement> ReadingsServiceAsync(string directory)
    {
        (int exit, string output) = await AgentProcess.RunToEndAsync(["upstream", "--json"], directory);
        Assert.True(exit == 0, output);
        return JsonDocument.Parse(output).RootElement.GetProperty("services")[0].Clone();
    }

    private static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var stopwatch = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(stopwatch.Elapsed < timeout, "timed out");
            await Task.Delay(100);
        }
    }
}
