using ActiveGate.Coap.Client;
using ActiveGate.Coap.Messages;
using ActiveGate.Ieee802154;
using ActiveGate.Simulator.Mesh;
using ActiveGate.Simulator.Mesh.Rpl;
using ActiveGate.SixLowpan;
using ActiveGate.SixLowpan.Context;
using ActiveGate.SixLowpan.Iphc;
using ActiveGate.SixLowpan.Ipv6;
using ActiveGate.SixLowpan.Mesh;
using ActiveGate.SixLowpan.Rpl;

namespace ActiveGate.Simulator.Tests.Mesh;

/// <summary>
/// What the routers put on the air for one CoAP exchange with a node 4 hops down a line, decoded with
/// the 6LoWPAN codec: the source route stepping (non-storing), the RPL Hop-by-Hop option rewritten with
/// each forwarder's rank and direction (both modes).
/// </summary>
public sealed class RoutedFrameTests
{
    [Theory]
    [InlineData(RplMode.NonStoring)]
    [InlineData(RplMode.Storing)]
    public async Task Each_hop_of_a_coap_exchange_carries_the_expected_routing_headers(RplMode mode)
    {
        await using Simulation sim = Simulation.CreateInProcess(MultiHopRplTests.Options(mode, TopologyKind.Line, 4, nodes: 4));
        await using var root = new InProcessRoot(sim, mode, MultiHopRplTests.Fast());
        await sim.StartAsync(CancellationToken.None);
        Assert.NotNull(await root.WaitForConvergenceAsync(TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(50)));

        // Stations along the line: root, node 1 … node 4.
        ulong[] eui = [.. Enumerable.Range(0, 5).Select(sim.StationEui64)];
        Ipv6Address target = root.AddressOf(sim.Nodes[3]);
        var frames = new List<(int From, int To, Ipv6PacketInfo Info)>();
        ContextTable contexts = ContextTable.WithContext0(Ipv6Prefix.DefaultMesh);
        sim.Air.Tap = (from, to, mpdu) =>
        {
            MacFrame mac = MacFrameCodec.Read(mpdu.Span);
            byte[] datagram = new byte[1280];
            if (LowpanCodec.TryDecode(mac.Payload, new LinkAddresses(mac.Header.Source, mac.Header.Destination), contexts, datagram, out int length) == LowpanError.None
                && Ipv6Packet.TryParse(datagram.AsSpan(0, length), out Ipv6PacketInfo info, out _)
                && info.UpperLayerProtocol == IpProtocol.Udp
                && (info.FinalDestination == target || info.Header.Source == target))
            {
                lock (frames)
                {
                    frames.Add((Array.IndexOf(eui, from), Array.IndexOf(eui, to), info));
                }
            }
        };

        await using var client = new CoapClient(MeshUdpTransport.Bind(root.Mesh, 40_004));
        CoapResponse response = await client.GetAsync(new Uri($"coap://[{target}]/ch/1/power")).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(CoapCode.Content, response.Code);
        sim.Air.Tap = null;

        (int From, int To, Ipv6PacketInfo Info)[] seen;
        lock (frames)
        {
            seen = [.. frames];
        }

        for (int hop = 0; hop < 4; hop++)
        {
            // Down: station hop → hop + 1.
            Ipv6PacketInfo down = Assert.Single(seen, f => f.From == hop && f.To == hop + 1 && f.Info.FinalDestination == target).Info;
            if (mode == RplMode.NonStoring)
            {
                Assert.Equal(3 - hop, down.SegmentsLeft);
                Assert.True(down.SourceRouteOffset > 0);
                Assert.Equal(root.AddressOf(sim.Nodes[hop]).Low, down.Header.Destination.Low); // the current hop is the IPv6 destination
            }
            else
            {
                Assert.Equal(target, down.Header.Destination);
                Assert.Equal(-1, down.SourceRouteOffset);
                if (hop < 3)
                {
                    // Storing: the option marks the datagram as going down, with the sender's rank.
                    RplHopByHopOption option = down.RplOption!.Value;
                    Assert.True(option.Down);
                    Assert.Equal(hop == 0 ? root.Root.Rank : sim.Nodes[hop - 1].Network.Rpl!.Rank, option.SenderRank);
                }
            }

            // Up: station hop + 1 → hop, the option rewritten by each sender with its own rank, O = 0.
            Ipv6PacketInfo up = Assert.Single(seen, f => f.From == hop + 1 && f.To == hop && f.Info.Header.Source == target).Info;
            Assert.Equal(root.Mesh.MeshAddress, up.Header.Destination);
            RplHopByHopOption upOption = up.RplOption!.Value;
            Assert.False(upOption.Down);
            Assert.Equal(sim.Nodes[hop].Network.Rpl!.Rank, upOption.SenderRank);
            Assert.Equal(sim.Nodes[hop].Network.Rpl!.InstanceId, upOption.InstanceId);
        }

        Assert.Equal([256, 384, 512, 640], sim.Nodes.Select(n => (int)n.Network.Rpl!.Rank));
    }
}
