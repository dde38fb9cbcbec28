using ActiveGate.Coap.Client;
using ActiveGate.Coap.Messages;
using ActiveGate.Radio.Serial;
using ActiveGate.Simulator.Mesh;
using ActiveGate.Simulator.Mesh.Rpl;
using ActiveGate.SixLowpan.Mesh;
using ActiveGate.SixLowpan.Rpl;

namespace ActiveGate.Simulator.Tests.Mesh;

/// <summary>
/// The agent's real path into a multi-hop simulation: System.IO.Ports (SerialRadioLink) on the
/// simulator's pty, slip-radio through the simulated board, MeshInterface and the RPL root on top.
/// </summary>
public sealed class MultiHopPtyTests
{
    [Fact]
    public async Task Root_over_the_pty_gets_source_routes_and_reaches_a_node_five_hops_away()
    {
        SimulatorOptions options = MultiHopRplTests.Options(RplMode.NonStoring, TopologyKind.Line, 5, nodes: 5);
        await using Simulation sim = Simulation.Create(options);
        await sim.StartAsync(CancellationToken.None);
        await using var link = new SerialRadioLink(new SerialRadioOptions
        {
            Port = sim.DevicePath,
            InterFrameGap = TimeSpan.FromMilliseconds(1),
            TxStatusTimeout = TimeSpan.FromSeconds(2),
        });
        await link.InitializeAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        await using var root = new InProcessRoot(sim, link, link.ExtendedAddress!.Value, RplMode.NonStoring, MultiHopRplTests.Fast());

        Assert.NotNull(await root.WaitForConvergenceAsync(TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(50)));
        SimulatedNode deepest = sim.Nodes[4];
        Assert.Equal(5, sim.Depths()[5]);
        Assert.Equal(4, root.Root.GetSourceRoute(root.AddressOf(deepest))!.Count);

        await using var client = new CoapClient(MeshUdpTransport.Bind(root.Mesh, 40_003));
        CoapResponse response = await client.GetAsync(new Uri($"coap://[{root.AddressOf(deepest)}]/ch/1/power")).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(CoapCode.Content, response.Code);
        Assert.True(sim.Board.FramesFromHost > 0 && sim.Board.FramesToHost > 0);
        Assert.All(sim.Nodes.Take(4), n => Assert.True(n.Network.Forwarded > 0, $"{n.Name} forwarded"));
    }
}
