using ActiveGate.Ieee802154;
using ActiveGate.SixLowpan.Context;
using ActiveGate.SixLowpan.Iphc;
using ActiveGate.SixLowpan.Ipv6;
using ActiveGate.SixLowpan.Mesh;
using ActiveGate.SixLowpan.Rpl;
using ActiveGate.SixLowpan.Rpl.Messages;
using ActiveGate.SixLowpan.Rpl.Root;
using ActiveGate.SixLowpan.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using static ActiveGate.SixLowpan.Tests.Rpl.RplTestMesh;

namespace ActiveGate.SixLowpan.Tests.Rpl;

/// <summary>The root wired into the colleague's MeshInterface over an in-memory air.</summary>
#pragma warning disable CA1001 // Fields are disposed in IAsyncLifetime.DisposeAsync, which xunit calls.
public sealed class RplMeshBindingTests : IAsyncLifetime
{
    private static readonly ContextTable s_contexts = ContextTable.WithContext0(Ipv6Prefix.DefaultMesh);
    private readonly InMemoryAir _air = new();
    private readonly FakeTimeProvider _time = new();
    private InMemoryFrameLink _rootLink = null!;
    private InMemoryFrameLink _node1Link = null!;
    private MeshInterface _mesh = null!;
    private RplMeshBinding _binding = null!;
    private RplRoot _root = null!;

    public Task InitializeAsync()
    {
        _rootLink = _air.Attach(RootMac);
        _node1Link = _air.Attach(Mac(1));
        _mesh = new MeshInterface(_rootLink, RootMac, new MeshInterfaceOptions { PanId = 0xABCD });
        _binding = new RplMeshBinding(_mesh);
        _root = new RplRoot(new RplRootOptions { DodagId = _mesh.MeshAddress, Prefix = _mesh.MeshPrefix }, _binding, _time, random: new Random(2));
        _binding.Bind(_root);
        _mesh.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _binding.Dispose();
        _root.Dispose();
        await _mesh.DisposeAsync();
    }

    private static (MacHeader Frame, byte[] Datagram, Ipv6PacketInfo Info) Decode(byte[] mpdu)
    {
        MacFrame mac = MacFrameCodec.Read(mpdu);
        byte[] datagram = new byte[1280];
        Assert.Equal(LowpanError.None, LowpanCodec.TryDecode(mac.Payload, new LinkAddresses(mac.Header.Source, mac.Header.Destination), s_contexts, datagram, out int length));
        Assert.True(Ipv6Packet.TryParse(datagram.AsSpan(0, length), out Ipv6PacketInfo info, out _));
        return (mac.Header, datagram[..length], info);
    }

    private byte[] LastSent()
    {
        lock (_rootLink.Sent)
        {
            return _rootLink.Sent[^1];
        }
    }

    [Fact]
    public void Trickle_dio_leaves_as_a_broadcast_frame_from_the_link_local_address()
    {
        Assert.Equal(DodagId, _mesh.MeshAddress);
        _root.Start();
        _time.Run(TimeSpan.FromMilliseconds(4096));
        (MacHeader mac, byte[] datagram, Ipv6PacketInfo info) = Decode(LastSent());
        Assert.True(mac.Destination.IsBroadcast);
        Assert.Equal(RootLinkLocal, info.Header.Source);
        Assert.Equal(Ipv6Address.AllRplNodes, info.Header.Destination);
        ReadOnlySpan<byte> icmp = datagram.AsSpan(info.UpperLayerOffset, info.UpperLayerLength);
        Assert.True(RplMessageCodec.VerifyChecksum(info.Header.Source, info.FinalDestination, icmp));
        Assert.Equal(DodagId, Assert.IsType<RplDio>(RplMessageCodec.Read(icmp)).DodagId);
    }

    [Fact]
    public async Task Dao_frames_build_routes_get_acked_and_udp_to_the_deepest_node_is_source_routed()
    {
        var joined = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _root.NodeJoined += (_, e) =>
        {
            if (e.Node.Address == Global(5))
            {
                joined.TrySetResult();
            }
        };

        // Nodes 1..5 in a line send RPL-Lite DAOs; they all reach the root through node 1.
        RplTestMesh line = Line(5);
        for (int i = 1; i <= 5; i++)
        {
            byte[] icmp = RplMessageCodec.Encode(NonStoringDao(i, line.Parents[i], 240), Global(i), DodagId);
            byte[] datagram = new byte[Ipv6Header.Length + icmp.Length];
            Assert.True(Ipv6PacketBuilder.TryWriteIcmpv6(Global(i), DodagId, 155, 2, icmp.AsSpan(4), datagram, out _));
            byte[] output = new byte[4 * 127];
            Range[] frames = new Range[4];
            Assert.Equal(LowpanError.None, LowpanCodec.TryEncode(datagram, MacHeader.Data(0xABCD, Mac(1), RootMac, (byte)i), s_contexts, 1, output, frames, out _));
            _rootLink.Inject(output[frames[0]]);
        }

        await joined.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(new[] { Global(1), Global(2), Global(3), Global(4) }, _root.GetSourceRoute(Global(5)));

        // The DAO-ACKs went to the nodes' global addresses via node 1's MAC.
        await WaitForAsync(() => CountSentTo(Mac(1)) >= 5);
        (MacHeader ackMac, byte[] ackDatagram, Ipv6PacketInfo ackInfo) = Decode(SentTo(Mac(1)).First());
        Assert.Equal(Mac(1), ackMac.Destination);
        Assert.Equal(DodagId, ackInfo.Header.Source);
        Assert.Equal(Global(1), ackInfo.FinalDestination);
        Assert.IsType<RplDaoAck>(RplMessageCodec.Read(ackDatagram.AsSpan(ackInfo.UpperLayerOffset, ackInfo.UpperLayerLength)));

        // A CoAP request to node 5 leaves for node 1 with an SRH naming 2, 3, 4, 5.
        MeshSendStatus status = await _mesh.SendUdpAsync(Global(5), 5683, 5683, Convert.FromHexString("42011234BEEFB5706F776572"));
        Assert.Equal(MeshSendStatus.Ok, status);
        (MacHeader mac, byte[] udpDatagram, Ipv6PacketInfo info) = Decode(LastSent());
        Assert.Equal(Mac(1), mac.Destination);
        Assert.Equal(Global(1), info.Header.Destination);
        Assert.Equal(Global(5), info.FinalDestination);
        Assert.Equal(4, info.SegmentsLeft);
        Assert.True(info.SourceRouteOffset > 0);
        Assert.True(InternetChecksum.Verify(info.Header.Source, info.FinalDestination, IpProtocol.Udp, udpDatagram.AsSpan(info.UpperLayerOffset, info.UpperLayerLength)));
        Assert.Equal(0, _binding.SendFailures);
    }

    [Fact]
    public async Task Any_datagram_from_a_routed_node_refreshes_its_last_heard()
    {
        byte[] dao = RplMessageCodec.Encode(NonStoringDao(1, 0, 240), Global(1), DodagId);
        InjectFromNode1(Ipv6Builder(Global(1), dao, icmp: true), sequence: 1);
        await WaitForAsync(() => _root.TryGetNode(Global(1), out _));
        Assert.True(_root.TryGetNode(Global(1), out RplNodeInfo? before));

        // Ten minutes later node 1 sends a CoAP notification (UDP), no RPL traffic.
        _time.Advance(TimeSpan.FromMinutes(10));
        InjectFromNode1(Ipv6Builder(Global(1), Convert.FromHexString("5045abcdBEEF"), icmp: false), sequence: 2);

        await WaitForAsync(() => _root.TryGetNode(Global(1), out RplNodeInfo? n) && n!.LastHeard > before!.LastHeard);
        Assert.True(_root.TryGetNode(Global(1), out RplNodeInfo? after));
        Assert.Equal(before!.LastHeard + TimeSpan.FromMinutes(10), after!.LastHeard);
    }

    private static byte[] Ipv6Builder(Ipv6Address source, byte[] payload, bool icmp)
    {
        byte[] datagram = new byte[Ipv6Header.Length + 8 + payload.Length];
        int length;
        if (icmp)
        {
            Assert.True(Ipv6PacketBuilder.TryWriteIcmpv6(source, DodagId, 155, 2, payload.AsSpan(4), datagram, out length));
        }
        else
        {
            Assert.True(Ipv6PacketBuilder.TryWriteUdp(source, DodagId, 5683, 61616, payload, datagram, out length));
        }

        return datagram[..length];
    }

    private void InjectFromNode1(byte[] datagram, byte sequence)
    {
        byte[] output = new byte[4 * 127];
        Range[] frames = new Range[4];
        Assert.Equal(LowpanError.None, LowpanCodec.TryEncode(datagram, MacHeader.Data(0xABCD, Mac(1), RootMac, sequence), s_contexts, sequence, output, frames, out _));
        _rootLink.Inject(output[frames[0]]);
    }

    private IEnumerable<byte[]> SentTo(MacAddress mac)
    {
        lock (_rootLink.Sent)
        {
            return _rootLink.Sent.Where(f => MacFrameCodec.Read(f).Header.Destination == mac).ToArray();
        }
    }

    private int CountSentTo(MacAddress mac) => SentTo(mac).Count();

    private static async Task WaitForAsync(Func<bool> condition)
    {
        // The interface sends on its own tasks; wait for them, bounded (real time, not simulated).
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
#pragma warning restore CA1001
