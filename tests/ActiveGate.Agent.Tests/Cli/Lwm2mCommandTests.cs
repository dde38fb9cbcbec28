using System.Diagnostics;
using System.Text.Json;
using ActiveGate.Coap.Messages;
using ActiveGate.TestKit.Lwm2m;

namespace ActiveGate.Agent.Tests.Cli;

/// <summary><c>activegate lwm2m</c> and <c>lwm2m reset</c> against a running agent (no radio) and scripted LwM2M servers.</summary>
public sealed class Lwm2mCommandTests
{
    /// <summary>
    /// Issue 12, defect 4: after a server wrote /1, a changed Lwm2m:ServerUri used to be ignored while
    /// the log claimed the new server and the CLI showed <c>server: null</c>. Now the server-written state
    /// wins, the log, the CLI and the registrations agree, and <c>lwm2m reset</c> applies the configuration.
    /// </summary>
    [Fact]
    public async Task Server_written_state_wins_over_a_changed_ServerUri_the_log_and_cli_agree_and_reset_applies_the_configuration()
    {
        string directory = AgentProcess.NewScratchDirectory();
        await using var a = new ScriptedLwm2mServer();
        await using var b = new ScriptedLwm2mServer();
        var environment = new Dictionary<string, string>
        {
            ["ACTIVEGATE__Radio__Mode"] = "None",
            ["ACTIVEGATE__Lwm2m__ServerUri"] = a.Uri.ToString(),
            ["ACTIVEGATE__Lwm2m__Endpoint"] = "activegate-reset-test",
        };
        await using (AgentProcess agent = AgentProcess.Start(["run"], environment, directory))
        {
            await agent.WaitForSocketAsync(TimeSpan.FromSeconds(30));
            await a.NextAsync("register", TimeSpan.FromSeconds(30));
            await UntilAsync(async () => (await StatusAsync(directory)).GetProperty("state").GetString() == "registered", TimeSpan.FromSeconds(20));
            Assert.Equal(CoapCode.Changed, (await a.WriteResourceAsync(1, 0, 1, 77)).Code);   // the server writes /1
            await a.NextAsync("update");
            await UntilAsync(async () => (await StatusAsync(directory)).GetProperty("updates").GetInt64() >= 1, TimeSpan.FromSeconds(10));
        }

        File.Delete(Path.Combine(directory, ".run", "activegate.sock"));
        a.RegisterAnswer = CoapCode.ServiceUnavailable;   // the old server is unreachable now: nothing registers
        environment["ACTIVEGATE__Lwm2m__ServerUri"] = b.Uri.ToString();
        await using (AgentProcess agent = AgentProcess.Start(["run"], environment, directory))
        {
            await agent.WaitForSocketAsync(TimeSpan.FromSeconds(30));
            await a.NextAsync("register", TimeSpan.FromSeconds(30));
            JsonElement status = await StatusAsync(directory);
            Assert.Equal(a.Uri.ToString(), status.GetProperty("server").GetString());   // what it tries, not null
            Assert.Equal("server", status.GetProperty("source").GetString());
            JsonElement overridden = status.GetProperty("overrides").EnumerateArray().Single(o => o.GetProperty("setting").GetString() == "Lwm2m:ServerUri");
            Assert.Equal(b.Uri.ToString(), overridden.GetProperty("configured").GetString());
            Assert.Equal(a.Uri.ToString(), overridden.GetProperty("inForce").GetString());
            await UntilAsync(() => Task.FromResult(agent.Output.Contains($"registering with {a.Uri}", StringComparison.Ordinal)), TimeSpan.FromSeconds(10));
            Assert.DoesNotContain($"registering with {b.Uri}", agent.Output, StringComparison.Ordinal);
            Assert.Contains(agent.Output.Split('\n'), l => l.Contains(b.Uri.ToString(), StringComparison.Ordinal) && l.Contains(a.Uri.ToString(), StringComparison.Ordinal));
            (int exit, string text) = await AgentProcess.RunToEndAsync(["lwm2m"], directory);
            Assert.True(exit == 0, text);
            Assert.Contains("written by the server", text, StringComparison.Ordinal);
            Assert.Contains($"overridden:   Lwm2m:ServerUri {b.Uri} in the configuration, {a.Uri} in force", text, StringComparison.Ordinal);

            (exit, text) = await AgentProcess.RunToEndAsync(["lwm2m", "reset", "--json"], directory);
            Assert.True(exit == 0, text);
            Assert.True(JsonDocument.Parse(text).RootElement.GetProperty("reset").GetBoolean());
            var register = await b.NextAsync("register", TimeSpan.FromSeconds(30));
            Assert.Contains("ep=activegate-reset-test", register.Query);
            await UntilAsync(async () => (await StatusAsync(directory)).GetProperty("state").GetString() == "registered", TimeSpan.FromSeconds(20));
            status = await StatusAsync(directory);
            Assert.Equal(b.Uri.ToString(), status.GetProperty("server").GetString());
            Assert.Equal("configuration", status.GetProperty("source").GetString());
            Assert.Equal(0, status.GetProperty("overrides").GetArrayLength());
        }
    }

    private static async Task<JsonElement> StatusAsync(string directory)
    {
        (int exit, string output) = await AgentProcess.RunToEndAsync(["lwm2m", "--json"], directory);
        Assert.True(exit == 0, output);
        return JsonDocument.Parse(output).RootElement.Clone();
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
