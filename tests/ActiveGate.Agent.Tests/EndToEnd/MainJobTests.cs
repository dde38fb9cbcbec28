using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using ActiveGate.TestKit.OneM2m;

namespace ActiveGate.Agent.Tests.EndToEnd;

/// <summary>
/// The gateway's main job, every part real: simulator (radio board + 3 plugs + 2 DINs on a pty) →
/// agent (slip-radio, 802.15.4, 6LoWPAN, CoAP, device layer, durable outbox) → a strict test CSE.
/// </summary>
public sealed class MainJobTests
{
    private static readonly string[] s_plugs = ["00124b000a010001", "00124b000a010002", "00124b000a010003"];
    private static readonly string[] s_dins = ["00124b000a020001", "00124b000a020002"];

    [Fact]
    public async Task Readings_reach_the_platform_and_a_platform_command_switches_a_relay_within_a_second()
    {
        string directory = AgentProcess.NewScratchDirectory();
        await using TestCse cse = TestCse.Start();
        await using SimulatorProcess simulator = await SimulatorProcess.StartAsync(directory, "--plugs", "3", "--dins", "2", "--report-interval", "1");
        int notifyPort = FreeTcpPort();
        await using AgentProcess agent = AgentProcess.Start(["run"], new Dictionary<string, string>
        {
            ["ACTIVEGATE__Radio__Port"] = simulator.Link,
            ["ACTIVEGATE__Mesh__DiscoveryInterval"] = "00:00:05",
            ["ACTIVEGATE__Upstream__Url"] = cse.BaseUrl.ToString(),
            ["ACTIVEGATE__Upstream__CseId"] = cse.CseId,
            ["ACTIVEGATE__Upstream__CseName"] = cse.CseBaseName,
            ["ACTIVEGATE__Upstream__NotificationUrl"] = $"http://127.0.0.1:{notifyPort}/notify/",
            ["ACTIVEGATE__Upstream__NotificationListen"] = $"http://127.0.0.1:{notifyPort}/notify/",
        }, directory);

        // Every channel of every device gets readings, stored under a device/channel container tree.
        string[] channels =
        [
            .. s_plugs.Select(id => $"cse-in/ActiveGate01/plug-{id}/ch1/meas"),
            .. s_dins.SelectMany(id => Enumerable.Range(1, 3).Select(ch => $"cse-in/ActiveGate01/meter-{id}/ch{ch}/meas")),
        ];
        await WaitUntilAsync(() => channels.All(c => cse.ContentsOf(c).Count >= 2), TimeSpan.FromSeconds(90), () => Diagnose(cse, agent, simulator));
        using (JsonDocument reading = JsonDocument.Parse(cse.ContentsOf(channels[0])[^1]))
        {
            Assert.True(reading.RootElement.EnumerateObject().Any(), "empty reading content");
        }

        // The platform switches plug 2 off: the relay goes off, is read back, and the outcome is written to the platform.
        string plug = $"cse-in/ActiveGate01/plug-{s_plugs[1]}/ch1";
        var stopwatch = Stopwatch.StartNew();
        cse.PlatformCreateContentInstance(plug + "/cmd", "off");
        await WaitUntilAsync(() => cse.ContentsOf(plug + "/state").Count > 0, TimeSpan.FromSeconds(10), () => Diagnose(cse, agent, simulator));
        TimeSpan switched = stopwatch.Elapsed;
        Assert.True(switched < TimeSpan.FromSeconds(1), $"command to reported state took {switched.TotalMilliseconds:0} ms");
        Assert.Contains("false", cse.ContentsOf(plug + "/state")[^1], StringComparison.OrdinalIgnoreCase);
        Assert.Equal("off", await RelayOfAsync(directory, s_plugs[1]));
        Assert.Equal("on", await RelayOfAsync(directory, s_plugs[0]));
        Assert.Empty(cse.Violations);
    }

    private static async Task<string?> RelayOfAsync(string directory, string deviceId)
    {
        (int exitCode, string output) = await AgentProcess.RunToEndAsync(["device", deviceId, "--json"], directory);
        Assert.Equal(0, exitCode);
        using JsonDocument device = JsonDocument.Parse(output);
        return device.RootElement.GetProperty("channels")[0].GetProperty("relay").GetString();
    }

    private static string Diagnose(TestCse cse, AgentProcess agent, SimulatorProcess simulator) =>
        "CSE paths:\n" + string.Join("\n", cse.AllPaths().Take(60)) + "\nviolations: " + string.Join("; ", cse.Violations)
        + "\nagent:\n" + agent.Output[^Math.Min(agent.Output.Length, 6000)..] + "\nsimulator:\n" + simulator.Output[^Math.Min(simulator.Output.Length, 2000)..];

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, Func<string> diagnose)
    {
        var stopwatch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(stopwatch.Elapsed < timeout, "timed out; " + diagnose());
            await Task.Delay(100);
        }
    }

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
