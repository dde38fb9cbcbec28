using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ActiveGate.Coap.Messages;
using ActiveGate.TestKit.Lwm2m;
using ActiveGate.TestKit.OneM2m;

namespace ActiveGate.Agent.Tests.EndToEnd;

/// <summary>
/// The upstream hot swap, every part real: simulator under continuous load (1 DIN + 2 plugs every 0.2 s) → agent →
/// two strict test CSEs, moved between by a scripted LwM2M server writing the Transport Management Policy (/26241/0).
/// Afterwards the union of readings at both CSEs is checked against what the agent accepted: nothing missing,
/// nothing twice (by device, channel, epoch, sequence), and each platform's readings in whole runs (a reading is
/// delivered by the generation active at that moment, never by two).
/// </summary>
public sealed class HotSwapTests
{
    private const int PolicyObject = 26241;
    private static readonly string[] s_plugs = ["00124b000a010001", "00124b000a010002"];
    private const string Din = "00124b000a020001";

    private static string[] MeasContainers =>
    [
        .. s_plugs.Select(id => $"cse-in/ActiveGate01/plug-{id}/ch1/meas"),
        .. Enumerable.Range(1, 3).Select(ch => $"cse-in/ActiveGate01/meter-{Din}/ch{ch}/meas"),
    ];

    [Fact]
    public async Task Fifty_policy_writes_back_and_forth_move_every_reading_to_exactly_one_platform()
    {
        await using Rig rig = await Rig.StartAsync();
        var platforms = new[] { rig.A, rig.B };
        for (int swap = 1; swap <= 50; swap++)
        {
            TestCse target = platforms[swap % 2];
            long before = Count(target);
            CoapResponse written = swap == 25
                // A server that changes one resource writes just that one (the two CSEs differ only in port).
                ? await rig.Server.WriteResourceAsync(PolicyObject, 0, 3, target.Port)
                : await rig.Server.WriteInstanceAsync(PolicyObject, 0, Policy(target, "http"), WriteFormat.Tlv, replace: true);
            Assert.Equal(CoapCode.Changed, written.Code);
            await rig.WaitForStateAsync("active", swap);
            await Until(() => Count(target) > before, TimeSpan.FromSeconds(20), () => $"no reading at {target.BaseUrl} after swap {swap}; " + rig.Diagnose());
        }

        // After the swaps: a command written at the platform now in force reaches the relay.
        TestCse active = platforms[50 % 2];
        string plug = $"cse-in/ActiveGate01/plug-{s_plugs[1]}/ch1";
        active.PlatformCreateContentInstance(plug + "/cmd", "off");
        await Until(() => active.ContentsOf(plug + "/state").Count > 0, TimeSpan.FromSeconds(15), rig.Diagnose);
        Assert.Contains("false", active.ContentsOf(plug + "/state")[^1], StringComparison.OrdinalIgnoreCase);

        await rig.DrainAndVerifyAsync(expectedSwaps: 50);
    }

    [Fact]
    public async Task Swaps_between_http_and_coap_and_through_faults_lose_nothing()
    {
        await using Rig rig = await Rig.StartAsync();
        int swaps = 0;

        // HTTP ↔ CoAP binding, back and forth.
        for (int i = 0; i < 6; i++)
        {
            (TestCse target, string scheme) = (i % 2 == 0 ? rig.B : rig.A, i % 2 == 0 ? "coap" : "http");
            long before = Count(target);
            Assert.Equal(CoapCode.Changed, (await rig.Server.WriteInstanceAsync(PolicyObject, 0, Policy(target, scheme))).Code);
            await rig.WaitForStateAsync("active", ++swaps);
            await Until(() => Count(target) > before, TimeSpan.FromSeconds(20), rig.Diagnose);
        }

        Assert.Contains(rig.B.Requests, r => r.Binding == "coap");

        // Bad values are refused with the reason, and nothing changes.
        CoapResponse bad = await rig.Server.WriteResourceAsync(PolicyObject, 0, 3, 0);
        Assert.Equal(CoapCode.BadRequest, bad.Code);
        bad = await rig.Server.WriteResourceAsync(PolicyObject, 0, 1, "ftp");
        Assert.Equal(CoapCode.BadRequest, bad.Code);
        Assert.Equal("http", (await rig.Server.ReadAsync($"/{PolicyObject}/0/1", accept: 0)).PayloadAsString);

        // A platform that does not answer: the state says why, readings keep going to the one in force, and writing the
        // policy in force back cancels the swap.
        long atA = Count(rig.A);
        Assert.Equal(CoapCode.Changed, (await rig.Server.WriteResourceAsync(PolicyObject, 0, 3, Rig.DeadPort)).Code);
        await rig.WaitForStateAsync("failed", swaps);
        string reason = (await rig.Server.ReadAsync($"/{PolicyObject}/0/9", accept: 0)).PayloadAsString;
        Assert.False(string.IsNullOrWhiteSpace(reason));
        await Until(() => Count(rig.A) > atA + 5, TimeSpan.FromSeconds(20), rig.Diagnose);
        Assert.Equal(CoapCode.Changed, (await rig.Server.WriteResourceAsync(PolicyObject, 0, 3, rig.A.Port)).Code);
        await rig.WaitForStateAsync("active", swaps);

        // The platform in force goes down, then the server moves the gateway: the readings that waited go to the new one.
        rig.A.Stop();
        await Task.Delay(1500);
        long atB = Count(rig.B);
        Assert.Equal(CoapCode.Changed, (await rig.Server.WriteInstanceAsync(PolicyObject, 0, Policy(rig.B, "http"))).Code);
        await rig.WaitForStateAsync("active", ++swaps);
        await Until(() => Count(rig.B) > atB, TimeSpan.FromSeconds(20), rig.Diagnose);
        rig.A.Restart();

        await rig.DrainAndVerifyAsync(expectedSwaps: swaps);
    }

    [Fact]
    public async Task An_agent_killed_during_a_swap_resumes_the_pending_policy_at_start()
    {
        await using Rig rig = await Rig.StartAsync();
        rig.B.Hang = true; // the new platform takes requests and never answers: the swap stays in preparation
        Assert.Equal(CoapCode.Changed, (await rig.Server.WriteInstanceAsync(PolicyObject, 0, Policy(rig.B, "http"))).Code);
        await rig.WaitForStateAsync("preparing", 0);
        long atA = Count(rig.A);
        await Until(() => Count(rig.A) > atA + 3, TimeSpan.FromSeconds(20), rig.Diagnose); // readings still go to A meanwhile
        rig.Agent.Signal(9);
        await rig.Agent.DisposeAsync();
        rig.B.Hang = false;

        rig.StartAgent();
        await Until(() => Count(rig.B) > 0, TimeSpan.FromSeconds(60), rig.Diagnose);
        (int exit, string output) = await AgentProcess.RunToEndAsync(["upstream", "--json"], rig.Directory);
        Assert.Equal(0, exit);
        JsonElement service = JsonDocument.Parse(output).RootElement.GetProperty("services")[0];
        Assert.Equal("lwm2m", service.GetProperty("source").GetString());
        Assert.Equal(rig.B.BaseUrl.ToString(), service.GetProperty("policy").GetProperty("url").GetString());

        // The restarted agent started on A (where a batch may have been in flight when it died: re-sent there, its names
        // make that a no-op) and swapped again. It counts afresh (the outbox's appended, the switches): check order and
        // uniqueness, with one change of platform.
        await rig.DrainAndVerifyAsync(expectedSwaps: 1, platformChanges: 1, restarted: true);
    }

    [Fact]
    public async Task The_object_shows_the_upstream_in_force_and_a_second_instance_is_a_second_platform_with_its_own_cursor()
    {
        await using Rig rig = await Rig.StartAsync();

        // Before any write, a server reads the configuration's platform; after a technician's switch, that one.
        Assert.Equal(rig.A.Port.ToString(CultureInfo.InvariantCulture), (await rig.Server.ReadAsync($"/{PolicyObject}/0/3", accept: 0)).PayloadAsString);
        (int exit, string output) = await AgentProcess.RunToEndAsync(["upstream", "switch", "readings", rig.B.BaseUrl.ToString(), "--json"], rig.Directory);
        Assert.True(exit == 0, output);
        await rig.WaitForStateAsync("active", 1);
        Assert.Equal(rig.B.Port.ToString(CultureInfo.InvariantCulture), (await rig.Server.ReadAsync($"/{PolicyObject}/0/3", accept: 0)).PayloadAsString);

        // A second instance: platform C gets the same readings from now on, through its own cursor.
        await using TestCse c = TestCse.Start();
        Dictionary<int, WriteValue> second = Policy(c, "http");
        second[0] = "analytics";
        CoapResponse created = await rig.Server.CreateInstanceAsync(PolicyObject, 1, second);
        Assert.Equal(CoapCode.Created, created.Code);
        await Until(() => Count(c) > 20, TimeSpan.FromSeconds(30), rig.Diagnose);
        long atB = Count(rig.B);
        await Until(() => Count(rig.B) > atB + 10, TimeSpan.FromSeconds(30), rig.Diagnose); // B goes on as well

        // A second instance may not take the readings' name.
        second[0] = "readings";
        Assert.Equal(CoapCode.BadRequest, (await rig.Server.CreateInstanceAsync(PolicyObject, 2, second)).Code);

        // Deleting it stops C; the readings' platform is unaffected.
        Assert.Equal(CoapCode.Deleted, (await rig.Server.DeleteInstanceAsync(PolicyObject, 1)).Code);
        await Task.Delay(1000);
        long atC = Count(c);
        atB = Count(rig.B);
        await Task.Delay(2000);
        Assert.Equal(atC, Count(c));
        Assert.True(Count(rig.B) > atB);
        Assert.Empty(c.Violations);
        (exit, output) = await AgentProcess.RunToEndAsync(["upstream", "--json"], rig.Directory);
        Assert.True(exit == 0, output);
        Assert.Equal(1, JsonDocument.Parse(output).RootElement.GetProperty("services").GetArrayLength());
    }

    private static Dictionary<int, WriteValue> Policy(TestCse cse, string scheme) => new()
    {
        [0] = "readings",
        [1] = scheme,
        [2] = "127.0.0.1",
        [3] = scheme == "coap" ? cse.CoapPort : cse.Port,
        [4] = cse.CseId,
        [5] = cse.CseBaseName,
        [6] = "Cactivegate01",
    };

    private static long Count(TestCse cse) => MeasContainers.Sum(c => (long)cse.ChildrenOf(c, 4).Count);

    private static async Task Until(Func<bool> condition, TimeSpan timeout, Func<string> diagnose)
    {
        var stopwatch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(stopwatch.Elapsed < timeout, "timed out; " + diagnose());
            await Task.Delay(50);
        }
    }

    /// <summary>Two CSEs, the simulator, the scripted LwM2M server and the agent, with the checks every test ends with.</summary>
    private sealed class Rig : IAsyncDisposable
    {
        public const int DeadPort = 9; // discard: nothing listens on loopback

        private SimulatorProcess? _simulator;

        private Rig(string directory, TestCse a, TestCse b, ScriptedLwm2mServer server)
        {
            Directory = directory;
            A = a;
            B = b;
            Server = server;
        }

        public string Directory { get; }

        public TestCse A { get; }

        public TestCse B { get; }

        public ScriptedLwm2mServer Server { get; }

        public AgentProcess Agent { get; private set; } = null!;

        public static async Task<Rig> StartAsync()
        {
            var rig = new Rig(AgentProcess.NewScratchDirectory(), TestCse.Start(), TestCse.Start(), new ScriptedLwm2mServer());
            rig._simulator = await SimulatorProcess.StartAsync(rig.Directory, "--plugs", "2", "--dins", "1", "--report-interval", "0.2");
            rig.StartAgent();
            await rig.Server.WaitForRegistrationAsync(TimeSpan.FromSeconds(60));
            await Until(() => Count(rig.A) > 10, TimeSpan.FromSeconds(90), rig.Diagnose);
            return rig;
        }

        public void StartAgent()
        {
            Agent = AgentProcess.Start(["run"], new Dictionary<string, string>
            {
                ["ACTIVEGATE__Radio__Port"] = _simulator!.Link,
                ["ACTIVEGATE__Mesh__DiscoveryInterval"] = "00:00:05",
                ["ACTIVEGATE__Upstream__Url"] = A.BaseUrl.ToString(),
                ["ACTIVEGATE__Upstream__CseId"] = A.CseId,
                ["ACTIVEGATE__Upstream__CseName"] = A.CseBaseName,
                ["ACTIVEGATE__Upstream__RequestTimeout"] = "00:00:03",
                ["ACTIVEGATE__Upstream__ReadingsMaxInstances"] = "1000000", // the CSEs keep every reading for the final count
                ["ACTIVEGATE__Lwm2m__ServerUri"] = Server.Uri.ToString(),
                ["ACTIVEGATE__Lwm2m__Endpoint"] = "activegate-hotswap",
            }, Directory);
        }

        /// <summary>Waits until the policy's state (/26241/0/8) reads <paramref name="state"/> with at least <paramref name="switches"/> switches done.</summary>
        public async Task WaitForStateAsync(string state, long switches)
        {
            var stopwatch = Stopwatch.StartNew();
            string last = "";
            while (stopwatch.Elapsed < TimeSpan.FromSeconds(30))
            {
                last = (await Server.ReadAsync($"/{PolicyObject}/0/8", accept: 0)).PayloadAsString;
                string count = (await Server.ReadAsync($"/{PolicyObject}/0/12", accept: 0)).PayloadAsString;
                if (last == state && long.TryParse(count, CultureInfo.InvariantCulture, out long done) && done >= switches)
                {
                    return;
                }

                await Task.Delay(20);
            }

            Assert.Fail($"policy state stayed '{last}', wanted '{state}' after {switches} switches; " + Diagnose());
        }

        /// <summary>
        /// Stops the devices, lets the agent deliver everything, then checks the union of both platforms against what
        /// the agent accepted.
        /// </summary>
        public async Task DrainAndVerifyAsync(long expectedSwaps, long? platformChanges = null, bool restarted = false)
        {
            await _simulator!.DisposeAsync();
            JsonElement outbox = default;
            await Until(() =>
            {
                (int exit, string output) = AgentProcess.RunToEndAsync(["outbox", "--json"], Directory).GetAwaiter().GetResult();
                outbox = exit == 0 ? JsonDocument.Parse(output).RootElement.Clone() : default;
                return exit == 0 && outbox.GetProperty("depth").GetInt64() == 0;
            }, TimeSpan.FromSeconds(60), Diagnose);

            var seen = new Dictionary<(string Device, int Channel, long Epoch, long Sequence), string>();
            var byOutboxSequence = new SortedDictionary<long, string>();
            var outboxSequenceOf = new Dictionary<(string Device, int Channel, long Epoch, long Sequence), long>();
            foreach ((string name, TestCse cse) in new[] { ("A", A), ("B", B) })
            {
                Assert.Empty(cse.Violations);
                foreach (string container in MeasContainers)
                {
                    string device = container.Split('/')[2];
                    foreach (TestCseResource cin in cse.ChildrenOf(container, 4))
                    {
                        using JsonDocument content = JsonDocument.Parse((string)cin.Attributes["con"]!);
                        JsonElement r = content.RootElement;
                        var key = (device, r.GetProperty("ch").GetInt32(), r.GetProperty("epoch").GetInt64(), r.GetProperty("dseq").GetInt64());
                        Assert.False(seen.TryGetValue(key, out string? first), $"reading {key} stored twice: at {first} and at {name}");
                        seen[key] = name;
                        byOutboxSequence[r.GetProperty("seq").GetInt64()] = name;
                        outboxSequenceOf[key] = r.GetProperty("seq").GetInt64();
                    }
                }
            }

            // Nothing missing: every reading the agent accepted is at one of the platforms. (A device's own sequence may
            // skip: an observer gets the latest state, RFC 7641 §3.4; what the agent took is what must arrive.)
            if (!restarted)
            {
                Assert.Equal(outbox.GetProperty("appended").GetInt64(), seen.Count);
            }

            // In order: per channel, the device's sequence grows with the gateway's.
            foreach (IGrouping<(string, int, long), KeyValuePair<(string Device, int Channel, long Epoch, long Sequence), long>> channel
                in outboxSequenceOf.GroupBy(kv => (kv.Key.Device, kv.Key.Channel, kv.Key.Epoch)))
            {
                long[] inDeliveryOrder = [.. channel.OrderBy(kv => kv.Value).Select(kv => kv.Key.Sequence)];
                Assert.True(inDeliveryOrder.SequenceEqual(inDeliveryOrder.Order()), $"{channel.Key}: out of order");
            }

            // Each platform's readings come in whole runs of the outbox order: at most one change of platform per swap.
            int changes = byOutboxSequence.Values.Zip(byOutboxSequence.Values.Skip(1)).Count(p => p.First != p.Second);
            Assert.True(changes <= (platformChanges ?? expectedSwaps), $"{changes} changes of platform in delivery order for {expectedSwaps} swaps");

            (int code, string upstream) = await AgentProcess.RunToEndAsync(["upstream", "--json"], Directory);
            Assert.Equal(0, code);
            Assert.Equal(expectedSwaps, JsonDocument.Parse(upstream).RootElement.GetProperty("services")[0].GetProperty("switches").GetInt64());
        }

        public string Diagnose() =>
            $"A: {Count(A)} readings, B: {Count(B)}; violations {string.Join("; ", A.Violations.Concat(B.Violations).Take(5))}\nagent:\n"
            + (Agent is null ? "" : Agent.Output[^Math.Min(Agent.Output.Length, 5000)..]);

        public async ValueTask DisposeAsync()
        {
            if (Agent is not null)
            {
                await Agent.DisposeAsync();
            }

            if (_simulator is not null)
            {
                await _simulator.DisposeAsync();
            }

            await Server.DisposeAsync();
            await A.DisposeAsync();
            await B.DisposeAsync();
        }
    }
}
