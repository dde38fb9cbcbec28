using System.Globalization;
using System.Text.Json;
using ActiveGate.Coap.Messages;
using ActiveGate.Radio;
using ActiveGate.Radio.Serial;
using ActiveGate.Simulator.Devices;
using ActiveGate.Simulator.Tests.Support;

namespace ActiveGate.Simulator.Tests;

/// <summary>
/// The simulator on a real pseudo-terminal, driven like the agent will drive it: System.IO.Ports through
/// the Radio project's <see cref="SerialRadioLink"/>, frames built with the 802.15.4/6LoWPAN/CoAP codecs.
/// </summary>
public sealed class SimulationPtyTests
{
    private static readonly ulong s_plug1 = Simulation.NodeEui64(DeviceKind.ActivePlug, 1);
    private static readonly ulong s_din1 = Simulation.NodeEui64(DeviceKind.ActiveDin, 1);

    private static async Task<(Simulation Sim, SerialRadioLink Link)> StartAsync(SimulatorOptions? options = null)
    {
        Simulation sim = Simulation.Create(options ?? new SimulatorOptions { Plugs = 2, Dins = 1 });
        await sim.StartAsync(CancellationToken.None);
        var link = new SerialRadioLink(new SerialRadioOptions
        {
            Port = sim.DevicePath,
            InterFrameGap = TimeSpan.FromMilliseconds(1),
            TxStatusTimeout = TimeSpan.FromSeconds(2),
        });
        await link.InitializeAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        return (sim, link);
    }

    [Fact]
    public async Task Answers_mac_query_and_parameters()
    {
        (Simulation sim, SerialRadioLink link) = await StartAsync();
        await using (sim)
        await using (link)
        {
            Assert.Equal(RadioLinkState.Up, link.State);
            Assert.Equal(0x00124B0000000001UL, link.ExtendedAddress);
            await link.SetChannelAsync(26, CancellationToken.None); // confirmed through ?V, or it throws
            await link.SetPanIdAsync(0xABCD, CancellationToken.None);
            Assert.Equal((ushort)26, await link.GetParameterAsync(ActiveGate.Radio.SlipRadio.RadioParameter.Channel, CancellationToken.None));
            Assert.Equal(0xABCD, sim.Board.PanId);
            Assert.True(sim.Board.MacQueries >= 1);
        }
    }

    [Fact]
    public async Task Coap_get_reaches_a_simulated_plug_and_its_power_reading_comes_back()
    {
        (Simulation sim, SerialRadioLink link) = await StartAsync();
        await using (sim)
        await using (link)
        {
            var host = new MeshHost(link);
            CoapMessage response = await host.RequestAsync(s_plug1, CoapCode.Get, "/ch/1/power");
            Assert.Equal(CoapCode.Content, response.Code);
            Assert.Equal(CoapContentFormat.TextPlain, response.ContentFormat);
            double watts = double.Parse(response.PayloadAsString, CultureInfo.InvariantCulture);
            Assert.InRange(watts, 0, 16 * 240);

            // The same node over its global (context-0 compressed) address, JSON meter of a DIN channel.
            CoapMessage meter = await host.RequestAsync(s_din1, CoapCode.Get, "/ch/3/meter", global: true);
            Assert.Equal(CoapCode.Content, meter.Code);
            Assert.Equal(CoapContentFormat.Json, meter.ContentFormat);
            using JsonDocument json = JsonDocument.Parse(meter.PayloadAsString);
            Assert.InRange(json.RootElement.GetProperty("i").GetDouble(), 0, 20);
            Assert.Equal(1, json.RootElement.GetProperty("relay").GetInt32());
            Assert.True(json.RootElement.GetProperty("e").GetDouble() > 0);
        }
    }

    [Fact]
    public async Task Relay_switches_off_and_power_drops_to_zero()
    {
        (Simulation sim, SerialRadioLink link) = await StartAsync(new SimulatorOptions { Plugs = 1, Dins = 0 });
        await using (sim)
        await using (link)
        {
            var host = new MeshHost(link);
            Assert.Equal(CoapCode.Changed, (await host.RequestAsync(s_plug1, CoapCode.Put, "/ch/1/relay", "off")).Code);
            Assert.Equal("0", (await host.RequestAsync(s_plug1, CoapCode.Get, "/ch/1/relay")).PayloadAsString);
            Assert.Equal("0.0", (await host.RequestAsync(s_plug1, CoapCode.Get, "/ch/1/power")).PayloadAsString);
            Assert.Equal(CoapCode.BadRequest, (await host.RequestAsync(s_plug1, CoapCode.Put, "/ch/1/relay", "maybe")).Code);
            Assert.Equal(CoapCode.Changed, (await host.RequestAsync(s_plug1, CoapCode.Put, "/ch/1/relay", "1")).Code);
            Assert.Equal("1", (await host.RequestAsync(s_plug1, CoapCode.Get, "/ch/1/relay")).PayloadAsString);
        }
    }

    [Fact]
    public async Task Discovery_and_info_follow_the_documented_layout()
    {
        (Simulation sim, SerialRadioLink link) = await StartAsync(new SimulatorOptions { Plugs = 0, Dins = 1 });
        await using (sim)
        await using (link)
        {
            var host = new MeshHost(link);
            CoapMessage info = await host.RequestAsync(s_din1, CoapCode.Get, "/dev/info");
            Assert.Equal("{\"model\":\"ActiveDIN\",\"channels\":3,\"ratedA\":20,\"fw\":\"1.2.0\",\"serial\":\"AD-0001\"}", info.PayloadAsString);

            CoapMessage core = await host.RequestAsync(s_din1, CoapCode.Get, "/.well-known/core", global: true);
            Assert.Equal(CoapContentFormat.LinkFormat, core.ContentFormat);
            string links = core.PayloadAsString;
            Assert.Contains("</dev/info>", links, StringComparison.Ordinal);
            Assert.Contains("</ch/3/meter>", links, StringComparison.Ordinal);
            Assert.Contains("rt=\"ag.relay\"", links, StringComparison.Ordinal);
            Assert.DoesNotContain("</ch>", links, StringComparison.Ordinal);
            Assert.True(host.Blocks > 5, "Erbium-like 64-byte blocks keep every response in one frame");
        }
    }

    [Fact]
    public async Task Nodes_answer_ping_and_unknown_nodes_give_no_ack()
    {
        (Simulation sim, SerialRadioLink link) = await StartAsync(new SimulatorOptions { Plugs = 1, Dins = 0 });
        await using (sim)
        await using (link)
        {
            var host = new MeshHost(link);
            (byte type, ushort sequence) = await host.PingAsync(s_plug1, 7);
            Assert.Equal(129, type);
            Assert.Equal(7, sequence);

            var nobody = ActiveGate.Ieee802154.MacAddress.FromExtended(0x00124B00DEADBEEF);
            byte[] ip = new byte[128];
            Assert.True(ActiveGate.SixLowpan.Ipv6.Ipv6PacketBuilder.TryWriteUdp(
                host.LinkLocal, ActiveGate.SixLowpan.Ipv6.Ipv6Address.LinkLocal(nobody), 1, 5683, "x"u8, ip, out int length));
            byte[] frame = host.Frame(ip.AsSpan(0, length), nobody);
            TxResult tx = await link.TransmitAsync(frame, CancellationToken.None);
            Assert.Equal(TxStatus.NoAck, tx.Status);
            Assert.Equal(4, tx.Transmissions);
        }
    }

    [Fact]
    public async Task Meter_is_observable_with_growing_sequence_and_energy()
    {
        (Simulation sim, SerialRadioLink link) = await StartAsync(new SimulatorOptions { Plugs = 1, Dins = 0, ReportInterval = TimeSpan.FromMilliseconds(300) });
        await using (sim)
        await using (link)
        {
            var host = new MeshHost(link);
            CoapMessage register = CoapMessage.CreateRequest(CoapCode.Get);
            register.Observe = 0;
            CoapMessage first = await host.SendAsync(s_plug1, register, "/ch/1/meter");
            Assert.Equal(CoapCode.Content, first.Code);
            Assert.NotNull(first.Observe);

            var plug = ActiveGate.Ieee802154.MacAddress.FromExtended(s_plug1);
            CoapMessage second = await host.ReceiveCoapAsync(register.Token, ActiveGate.SixLowpan.Ipv6.Ipv6Address.LinkLocal(plug));
            CoapMessage third = await host.ReceiveCoapAsync(register.Token, ActiveGate.SixLowpan.Ipv6.Ipv6Address.LinkLocal(plug));
            Assert.True(third.Observe > second.Observe && second.Observe > first.Observe);

            double[] energy = [.. new[] { first, second, third }.Select(m => Json(m).GetProperty("e").GetDouble())];
            long[] seq = [.. new[] { first, second, third }.Select(m => Json(m).GetProperty("seq").GetInt64())];
            Assert.True(seq[0] < seq[1] && seq[1] < seq[2], string.Join(",", seq));
            Assert.True(energy[0] <= energy[1] && energy[1] <= energy[2], string.Join(",", energy));
        }

        static JsonElement Json(CoapMessage m) => JsonDocument.Parse(m.PayloadAsString).RootElement.Clone();
    }

    [Fact]
    public async Task Loss_option_makes_unicasts_fail_after_all_attempts()
    {
        (Simulation sim, SerialRadioLink link) = await StartAsync(new SimulatorOptions { Plugs = 1, Dins = 0, Loss = 1.0 });
        await using (sim)
        await using (link)
        {
            var host = new MeshHost(link);
            var plug = ActiveGate.Ieee802154.MacAddress.FromExtended(s_plug1);
            byte[] ip = new byte[128];
            Assert.True(ActiveGate.SixLowpan.Ipv6.Ipv6PacketBuilder.TryWriteUdp(
                host.LinkLocal, ActiveGate.SixLowpan.Ipv6.Ipv6Address.LinkLocal(plug), 1, 5683, "x"u8, ip, out int length));
            TxResult tx = await link.TransmitAsync(host.Frame(ip.AsSpan(0, length), plug), CancellationToken.None);
            Assert.Equal(new TxResult(TxStatus.NoAck, 4), tx);
            Assert.Equal(4, sim.Air.AttemptsLost);
        }
    }

    [Fact]
    public async Task Delay_option_slows_each_transmission_attempt()
    {
        (Simulation sim, SerialRadioLink link) = await StartAsync(new SimulatorOptions { Plugs = 1, Dins = 0, Delay = TimeSpan.FromMilliseconds(150) });
        await using (sim)
        await using (link)
        {
            var host = new MeshHost(link);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            CoapMessage response = await host.RequestAsync(s_plug1, CoapCode.Get, "/ch/1/voltage");
            Assert.Equal(CoapCode.Content, response.Code);
            Assert.InRange(double.Parse(response.PayloadAsString, CultureInfo.InvariantCulture), 220, 240);
            Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(300), $"request and response crossed the air in {watch.Elapsed}");
        }
    }

    [Fact]
    public async Task Serves_an_agent_that_closes_the_port_and_opens_it_again()
    {
        (Simulation sim, SerialRadioLink first) = await StartAsync(new SimulatorOptions { Plugs = 1, Dins = 0 });
        await using (sim)
        {
            await using (first)
            {
                Assert.Equal(CoapCode.Content, (await new MeshHost(first).RequestAsync(s_plug1, CoapCode.Get, "/ch/1/power")).Code);
            }

            await using var second = new SerialRadioLink(new SerialRadioOptions { Port = sim.DevicePath, TxStatusTimeout = TimeSpan.FromSeconds(2) });
            await second.InitializeAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            CoapMessage response = await new MeshHost(second).RequestAsync(s_plug1, CoapCode.Get, "/ch/1/energy");
            Assert.Equal(CoapCode.Content, response.Code);
            Assert.True(double.Parse(response.PayloadAsString, CultureInfo.InvariantCulture) > 0);
            Assert.True(sim.Board.MacQueries >= 2);
        }
    }

    [Fact]
    public async Task Output_nobody_reads_is_dropped_instead_of_stalling_and_the_next_agent_still_gets_through()
    {
        await using Simulation sim = Simulation.Create(new SimulatorOptions { Plugs = 1, Dins = 0 });
        await sim.StartAsync(CancellationToken.None);
        byte[] frame = [0x41, 0xD8, 0x01, 0xCD, 0xAB, 0xFF, 0xFF, .. Enumerable.Repeat((byte)0x55, 90)];
        var watch = System.Diagnostics.Stopwatch.StartNew();
        long dropped = 0;
        for (int i = 0; i < 3000 && dropped == 0; i++)
        {
            sim.Board.Deliver(frame); // a node chattering while no agent has the port open
            dropped = sim.BytesDroppedOnPty;
        }

        Assert.True(dropped > 0, "the pty buffer never filled");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"writing took {watch.Elapsed}");

        await using var link = new SerialRadioLink(new SerialRadioOptions { Port = sim.DevicePath, TxStatusTimeout = TimeSpan.FromSeconds(2) });
        await link.InitializeAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        while (link.ReceivedFrames.TryRead(out _))
        {
            // Stale frames from before the agent came.
        }

        CoapMessage response = await new MeshHost(link).RequestAsync(s_plug1, CoapCode.Get, "/ch/1/current");
        Assert.Equal(CoapCode.Content, response.Code);
    }

    [Fact]
    public async Task Link_copes_with_real_firmware_quirks()
    {
        (Simulation sim, SerialRadioLink link) = await StartAsync(new SimulatorOptions { Plugs = 1, Dins = 0, Quirks = true });
        await using (sim)
        await using (link)
        {
            await link.SetChannelAsync(26, CancellationToken.None);
            CoapMessage response = await new MeshHost(link).RequestAsync(s_plug1, CoapCode.Get, "/ch/1/power");
            Assert.Equal(CoapCode.Content, response.Code);
            RadioLinkStatistics stats = link.GetStatistics();
            Assert.True(stats.Errors.GetValueOrDefault(RadioErrorReason.RadioError) >= 1, "EUnknown after ?V is counted");
            Assert.True(stats.TextLines >= 2, "debug lines are classified as text");
            Assert.False(stats.Errors.ContainsKey(RadioErrorReason.InvalidFrame));
        }
    }
}
