using ActiveGate.Ieee802154;
using ActiveGate.SixLowpan.Ipv6;
using ActiveGate.SixLowpan.Mesh;
using ActiveGate.SixLowpan.Rpl;
using ActiveGate.SixLowpan.Rpl.Root;

namespace ActiveGate.Simulator.Mesh.Rpl;

/// <summary>
/// The agent's side of an in-process simulation, wired the way the agent wires it: a
/// <see cref="MeshInterface"/> on <see cref="Simulation.RootLink"/>, the DODAG root
/// (<see cref="RplRoot"/>) bound to it by <see cref="RplMeshBinding"/>. For tests and the
/// convergence measurement (<c>activegate-sim --measure-convergence</c>).
/// </summary>
public sealed class InProcessRoot : IAsyncDisposable
{
    private readonly Simulation _simulation;

    /// <summary>Builds and starts the interface and the root; <paramref name="configure"/> adjusts the root options (trickle, lifetimes).</summary>
    public InProcessRoot(Simulation simulation, RplMode mode, Func<RplRootOptions, RplRootOptions>? configure = null, TimeProvider? timeProvider = null)
        : this(simulation, simulation?.RootLink ?? throw new ArgumentException("Use Simulation.CreateInProcess.", nameof(simulation)), simulation.Options.RadioEui64, mode, configure, timeProvider)
    {
    }

    /// <summary>The same over another radio link, e.g. a <c>SerialRadioLink</c> on the simulator's pty (the agent's real path).</summary>
    public InProcessRoot(Simulation simulation, IFrameLink link, ulong radioEui64, RplMode mode, Func<RplRootOptions, RplRootOptions>? configure = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(simulation);
        ArgumentNullException.ThrowIfNull(link);
        _simulation = simulation;
        TimeProvider time = timeProvider ?? TimeProvider.System;
        Ipv6Prefix prefix = Ipv6Prefix.TryParse(simulation.Options.Prefix, out Ipv6Prefix parsed) ? parsed : Ipv6Prefix.DefaultMesh;
        Mesh = new MeshInterface(link, MacAddress.FromExtended(radioEui64), new MeshInterfaceOptions { PanId = simulation.Options.PanId, MeshPrefix = prefix }, time);
        Binding = new RplMeshBinding(Mesh);
        var options = new RplRootOptions { DodagId = Mesh.MeshAddress, Prefix = prefix, Mode = mode };
        Root = new RplRoot(configure is null ? options : configure(options), Binding, time, random: new Random(simulation.Options.Seed));
        Binding.Bind(Root);
        Mesh.Start();
        Root.Start();
    }

    /// <summary>The agent's mesh interface.</summary>
    public MeshInterface Mesh { get; }

    /// <summary>The glue between root and interface.</summary>
    public RplMeshBinding Binding { get; }

    /// <summary>The DODAG root.</summary>
    public RplRoot Root { get; }

    /// <summary>The global address node <paramref name="node"/> takes when it joins (prefix ‖ IID).</summary>
    public Ipv6Address AddressOf(SimulatedNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return Ipv6Address.FromPrefix(Mesh.MeshPrefix, MacAddress.FromExtended(node.Device.ExtendedAddress));
    }

    /// <summary>True when the root has a downward route to <paramref name="node"/> (non-storing: a complete source route).</summary>
    public bool HasDownwardRoute(SimulatedNode node)
    {
        Ipv6Address address = AddressOf(node);
        return Root.TryGetNextHop(address, out _) && (Root.Mode == RplMode.Storing || Root.GetSourceRoute(address) is not null);
    }

    /// <summary>Nodes of the simulation the root can route to.</summary>
    public int ReachableCount() => _simulation.Nodes.Count(HasDownwardRoute);

    /// <summary>Waits (polling every <paramref name="poll"/> on <paramref name="timeProvider"/>) until every node has a downward route; the time it took, or null on timeout.</summary>
    public async Task<TimeSpan?> WaitForConvergenceAsync(TimeSpan timeout, TimeSpan poll, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        TimeProvider time = timeProvider ?? TimeProvider.System;
        long start = time.GetTimestamp();
        while (time.GetElapsedTime(start) < timeout)
        {
            if (ReachableCount() == _simulation.Nodes.Count)
            {
                return time.GetElapsedTime(start);
            }

            await Task.Delay(poll, time, cancellationToken).ConfigureAwait(false);
        }

        return null;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Root.Stop();
        Binding.Dispose();
        Root.Dispose();
        await Mesh.DisposeAsync().ConfigureAwait(false);
    }
}
