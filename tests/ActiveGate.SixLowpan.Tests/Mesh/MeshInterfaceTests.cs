using System.Net;
using ActiveGate.Coap.Client;
using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Server;
using ActiveGate.Ieee802154;
using ActiveGate.SixLowpan.Icmpv6;
using ActiveGate.SixLowpan.Ipv6;
using ActiveGate.SixLowpan.Mesh;
using ActiveGate.SixLowpan.Neighbors;
using ActiveGate.SixLowpan.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace ActiveGate.SixLowpan.Tests.Mesh;

#pragma warning disable CA1001 // Disposed in IAsyncLifetime.DisposeAsync.
public sealed class MeshInterfaceTests : IAsyncLifetime
#pragma warning restore CA1001
{
    private readonly InMemoryAir _air = new();
    private InMemoryFrameLink _rootLink = null!;
    private InMemoryFrameLink _plugLink = null!;
    private MeshInterface _root = null!;
    private MeshInterface _plug = null!;

    public Task InitializeAsync()
    {
        _rootLink = _air.Attach(Golden.Root);
        _plugLink = _air.Attach(Golden.Plug);
        _root = new MeshInterface(_rootLink, Golden.Root, new MeshInterfaceOptions { PanId = 0xabcd });
        _plug = new MeshInterface(_plugLink, Golden.Plug, new MeshInterfaceOptions { PanId = 0xabcd });
        _root.Start();
        _plug.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _root.DisposeAsync();
        await _plug.DisposeAsync();
    }

    private static CancellationToken Timeout => new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token;

    [Fact]
    public void Addresses_derive_from_the_eui64()
    {
        Assert.Equal("fe80::212:4b00:102:304", _root.LinkLocalAddress.ToString());
        Assert.Equal("fd00::212:4b00:102:304", _root.MeshAddress.ToString());
        Assert.Equal(_root.LinkLocalAddress, _root.SelectSourceAddress(_plug.LinkLocalAddress));
        Assert.Equal(_root.MeshAddress, _root.SelectSourceAddress(_plug.MeshAddress));
        Assert.Equal(_root.LinkLocalAddress, _root.SelectSourceAddress(Ipv6Address.AllRplNodes));
    }

    [Fact]
    public async Task Udp_datagram_reaches_the_bound_socket()
    {
        using MeshUdpSocket socket = _plug.BindUdp(5683);
        Assert.Equal(MeshSendStatus.Ok, await _root.SendUdpAsync(_plug.MeshAddress, 40000, 5683, new byte[] { 1, 2, 3 }));
        MeshUdpDatagram received = await socket.ReceiveAsync(Timeout);
        Assert.Equal(_root.MeshAddress, received.Source);
        Assert.Equal(40000, received.SourcePort);
        Assert.Equal(_plug.MeshAddress, received.Destination);
        Assert.Equal(new byte[] { 1, 2, 3 }, received.Payload.ToArray());
        Assert.Equal(Golden.Root, received.LinkSource);
        Assert.Single(_rootLink.Sent);
        Assert.Equal(0x77, _rootLink.Sent[0][22]); // IPHC SAC=DAC=1, SAM=DAM=3: context 0
    }

    [Fact]
    public async Task Large_datagram_is_fragmented_back_to_back_and_reassembled()
    {
        using MeshUdpSocket socket = _plug.BindUdp(5683);
        byte[] payload = Enumerable.Range(0, 900).Select(i => (byte)i).ToArray();
        Assert.Equal(MeshSendStatus.Ok, await _root.SendUdpAsync(_plug.LinkLocalAddress, 5683, 5683, payload));
        MeshUdpDatagram received = await socket.ReceiveAsync(Timeout);
        Assert.Equal(payload, received.Payload.ToArray());
        Assert.True(_rootLink.Sent.Count >= 9);
        Assert.Equal(1, _plug.ReassemblyCounters.Completed);
    }

    [Fact]
    public async Task Ping_is_answered()
    {
        PingResult result = await _root.PingAsync(_plug.MeshAddress, 16, TimeSpan.FromSeconds(10), Timeout);
        Assert.True(result.Replied);
        Assert.Equal(MeshSendStatus.Ok, result.SendStatus);
        Assert.NotNull(result.RoundTrip);
        Assert.Equal(1, _plug.GetCounters().EchoRepliesSent);
    }

    [Fact]
    public async Task Ping_times_out_on_fake_time_when_nobody_answers()
    {
        var time = new FakeTimeProvider();
        var air = new InMemoryAir();
        InMemoryFrameLink link = air.Attach(Golden.Root);
        air.Attach(Golden.Plug); // present (ACKs) but silent
        await using var root = new MeshInterface(link, Golden.Root, timeProvider: time);
        root.Start();
        Task<PingResult> ping = root.PingAsync(Ipv6Address.LinkLocal(Golden.Plug), timeout: TimeSpan.FromSeconds(3));
        await WaitUntil(() => link.Sent.Count == 1);
        Assert.False(ping.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(3));
        PingResult result = await ping.WaitAsync(Timeout);
        Assert.False(result.Replied);
        Assert.Equal(MeshSendStatus.Ok, result.SendStatus);
    }

    [Fact]
    public async Task No_ack_is_reported_and_counted_per_neighbour()
    {
        MacAddress ghost = MacAddress.Parse("00:12:4b:00:00:00:00:99");
        Assert.Equal(MeshSendStatus.NoAck, await _root.SendUdpAsync(Ipv6Address.LinkLocal(ghost), 1, 2, new byte[] { 1 }));
        NeighborInfoAssert(_root.Neighbors.Get(ghost));
        Assert.Equal(1, _root.GetCounters().FramesFailed);

        static void NeighborInfoAssert(NeighborInfo? info)
        {
            Assert.NotNull(info);
            Assert.Equal(1, info.TransmitFailed);
            Assert.Equal(FrameTransmitStatus.NoAck, info.LastTransmitStatus);
        }
    }

    [Fact]
    public async Task Unroutable_destination_is_refused()
    {
        Assert.Equal(MeshSendStatus.NoRoute, await _root.SendUdpAsync(Ipv6Address.Parse("2001:db8::1"), 1, 2, new byte[] { 1 }));
        Assert.Empty(_rootLink.Sent);
    }

    [Fact]
    public async Task Router_supplies_next_hop_and_source_route()
    {
        var far = Ipv6Address.Parse("fd00::212:4b00:60d:e5f6");
        var viaPlug = new MeshRoute(Golden.Plug, [_plug.MeshAddress]);
        _root.Router = new StaticRouter(far, viaPlug);
        Assert.Equal(MeshSendStatus.Ok, await _root.SendUdpAsync(far, 5683, 5683, new byte[] { 7 }));
        byte[] frame = _rootLink.Sent.Single();
        var rows = Tshark.Decode([frame], Tshark.Context0, "wpan.dst64", "ipv6.dst", "ipv6.routing.segleft", "ipv6.routing.rpl.full_address", "udp.checksum.status");
        Assert.Equal(["00:12:4b:00:06:0d:b2:a1", "fd00::212:4b00:60d:b2a1", "1", "fd00::212:4b00:60d:e5f6", "1"], rows[0]);
        // The plug is not the final destination and does not forward: counted, not delivered.
        await WaitUntil(() => _plug.GetCounters().NotForUs == 1);
    }

    [Fact]
    public async Task Golden_coap_get_is_delivered_to_the_plugs_socket()
    {
        using MeshUdpSocket socket = _plug.BindUdp(5683);
        _plugLink.Inject(Golden.Frames()[0]);
        MeshUdpDatagram received = await socket.ReceiveAsync(Timeout);
        Assert.Equal("fe80::212:4b00:102:304", received.Source.ToString());
        Assert.Equal((1, 4660, "/sensors/power"), TestCoap.Parse(received.Payload.Span));
    }

    [Fact]
    public async Task Duplicate_frames_and_bad_frames_are_dropped_and_counted()
    {
        using MeshUdpSocket socket = _plug.BindUdp(5683);
        byte[] frame = Golden.Frames()[0];
        _plugLink.Inject(frame);
        _plugLink.Inject(frame);
        byte[] secured = (byte[])frame.Clone();
        secured[0] |= 0x08;
        _plugLink.Inject(secured);
        byte[] badChecksum = (byte[])frame.Clone();
        badChecksum[^1] ^= 0xFF;
        badChecksum[2]++; // new DSN so it is not a duplicate
        _plugLink.Inject(badChecksum);
        await socket.ReceiveAsync(Timeout);
        await WaitUntil(() => _plug.GetCounters().FramesIn == 4);
        MeshCounters counters = _plug.GetCounters();
        Assert.Equal(1, counters.Duplicates);
        Assert.Equal(1, counters.MacErrors[MacFrameError.SecurityEnabled]);
        Assert.Equal(1, counters.LowpanErrors[LowpanError.BadChecksum]);
        Assert.False(socket.TryReceive(out _));
    }

    [Fact]
    public async Task Rpl_control_messages_go_to_the_registered_handler()
    {
        var received = new TaskCompletionSource<Icmpv6Received>();
        _plug.SetIcmpv6Handler(Icmpv6Type.RplControl, m => received.TrySetResult(m));
        _plugLink.Inject(Golden.Frames()[2]); // DIO from the root to ff02::1a
        Icmpv6Received dio = await received.Task.WaitAsync(Timeout);
        Assert.Equal(1, dio.Code);
        Assert.Equal(Ipv6Address.AllRplNodes, dio.Packet.Header.Destination);
        Assert.Equal(Golden.Root, dio.LinkSource);
        Assert.Equal((sbyte)-60, dio.Rssi);
    }

    [Fact]
    public async Task Neighbour_table_records_what_was_heard()
    {
        using MeshUdpSocket socket = _plug.BindUdp(5683);
        await _root.SendUdpAsync(_plug.MeshAddress, 1, 5683, new byte[] { 1 });
        await socket.ReceiveAsync(Timeout);
        NeighborInfo? heard = _plug.Neighbors.Get(Golden.Root);
        Assert.NotNull(heard);
        Assert.Equal(1, heard.FramesReceived);
        Assert.Equal((byte)200, heard.Lqi);
        NeighborInfo? sent = _root.Neighbors.Get(Golden.Plug);
        Assert.Equal(1, sent!.TransmitOk);
    }

    [Fact]
    public async Task Coap_client_and_server_talk_over_the_mesh_by_ipv6_address()
    {
        await using var server = new CoapServer(MeshUdpTransport.Bind(_plug, 5683));
        server.Root.Add(new PowerResource());
        await server.StartAsync(Timeout);
        await using var client = new CoapClient(MeshUdpTransport.Bind(_root, 40001));
        CoapResponse response = await client.GetAsync(new Uri($"coap://[{_plug.MeshAddress}]/power"), Timeout);
        Assert.Equal(CoapCode.Content, response.Code);
        Assert.Equal("230.5", System.Text.Encoding.UTF8.GetString(response.Payload.Span));
    }

    [Fact]
    public async Task Transport_reports_its_endpoint_and_refuses_ipv4()
    {
        await using var transport = MeshUdpTransport.Bind(_root, 5683);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("fd00::212:4b00:102:304"), 5683), transport.LocalEndPoint);
        Assert.Equal(1280 - 48, transport.MaxDatagramSize);
        await Assert.ThrowsAsync<ArgumentException>(() => transport.SendAsync(new byte[1], new IPEndPoint(IPAddress.Loopback, 1), default).AsTask());
        Assert.Throws<InvalidOperationException>(() => _root.BindUdp(5683));
    }

    [Fact]
    public async Task A_failed_fragment_stops_the_datagram()
    {
        int sent = 0;
        _air.Interceptor = _ => ++sent == 2 ? FrameTransmitStatus.ChannelAccessFailure : null;
        Assert.Equal(MeshSendStatus.ChannelAccessFailure, await _root.SendUdpAsync(_plug.LinkLocalAddress, 1, 2, new byte[600]));
        Assert.Equal(2, _rootLink.Sent.Count); // FRAG1 ok, first FRAGN failed, nothing after it
        Assert.Equal(0, _root.GetCounters().DatagramsOut);
    }

    [Fact]
    public async Task Oversize_datagram_is_refused_before_the_radio()
    {
        Assert.Equal(MeshSendStatus.TooLarge, await _root.SendUdpAsync(_plug.LinkLocalAddress, 1, 2, new byte[_root.MaxUdpPayload + 1]));
        Assert.Empty(_rootLink.Sent);
        Assert.Equal(MeshSendStatus.Ok, await _root.SendUdpAsync(_plug.LinkLocalAddress, 1, 2, new byte[_root.MaxUdpPayload]));
    }

    [Fact]
    public async Task Disposed_socket_unbinds_and_completes_receivers()
    {
        MeshUdpSocket socket = _plug.BindUdp(7000);
        ValueTask<MeshUdpDatagram> pending = socket.ReceiveAsync(Timeout);
        socket.Dispose();
        await Assert.ThrowsAnyAsync<Exception>(() => pending.AsTask());
        using MeshUdpSocket again = _plug.BindUdp(7000);
        await _root.SendUdpAsync(_plug.LinkLocalAddress, 1, 7000, new byte[] { 5 });
        Assert.Equal(new byte[] { 5 }, (await again.ReceiveAsync(Timeout)).Payload.ToArray());
    }

    [Fact]
    public async Task Transport_flags_truncated_datagrams()
    {
        await using var transport = MeshUdpTransport.Bind(_plug, 5683);
        await _root.SendUdpAsync(_plug.MeshAddress, 40000, 5683, new byte[] { 1, 2, 3, 4 });
        byte[] buffer = new byte[2];
        Coap.Transport.DatagramReceiveResult result = await transport.ReceiveAsync(buffer, Timeout);
        Assert.True(result.Truncated);
        Assert.Equal(2, result.Length);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("fd00::212:4b00:102:304"), 40000), result.Remote);
    }

    [Fact]
    public async Task Unbound_port_is_counted()
    {
        await _root.SendUdpAsync(_plug.LinkLocalAddress, 1, 9999, new byte[] { 1 });
        await WaitUntil(() => _plug.GetCounters().NoSocket == 1);
        Assert.Equal(1, _plug.GetCounters().DatagramsIn);
    }

    [Fact]
    public void Random_frames_never_throw_out_of_ProcessFrame()
    {
        using MeshUdpSocket socket = _plug.BindUdp(5683);
        _plug.SetIcmpv6Handler(155, _ => { });
        var random = new Random(7);
        byte[] header = Golden.Frames()[0][..21]; // MAC header root -> plug
        string[] dispatches = ["7e33", "7e77", "7b3b", "c0ce0101", "e0ce010111", "41", "7af7", "7e33e1"];
        for (int i = 0; i < 20_000; i++)
        {
            byte[] dispatch = Convert.FromHexString(dispatches[i % dispatches.Length]);
            byte[] body = new byte[random.Next(0, 100)];
            random.NextBytes(body);
            byte[] frame = [.. header, .. dispatch, .. body];
            frame[2] = (byte)i; // fresh DSN: not a duplicate
            _plug.ProcessFrame(new ReceivedFrame(frame, DateTimeOffset.UtcNow));
        }

        MeshCounters counters = _plug.GetCounters();
        Assert.Equal(20_000, counters.FramesIn);
        Assert.True(counters.LowpanErrors.Values.Sum() > 1000);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            await Task.Delay(5, cts.Token);
        }
    }

    private sealed class StaticRouter(Ipv6Address destination, MeshRoute route) : IMeshRouter
    {
        public bool TryGetRoute(Ipv6Address address, out MeshRoute result)
        {
            result = route;
            return address == destination;
        }
    }

    private sealed class PowerResource : CoapResource
    {
        public PowerResource()
            : base("power")
        {
        }

        public override ValueTask<CoapResponse> HandleGetAsync(CoapRequestContext request, CancellationToken cancellationToken) =>
            ValueTask.FromResult(CoapResponse.FromText(CoapCode.Content, "230.5"));
    }
}
