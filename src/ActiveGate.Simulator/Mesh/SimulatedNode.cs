using ActiveGate.Coap.Server;
using ActiveGate.Simulator.Devices;
using ActiveGate.Simulator.Mesh.Rpl;
using ActiveGate.SixLowpan.Ipv6;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActiveGate.Simulator.Mesh;

/// <summary>
/// One mesh node: its radio on the simulated air, its 6LoWPAN/IPv6 stack, a CoAP server on port 5683
/// and the device (plug or DIN meter) whose resources that server offers.
/// </summary>
public sealed class SimulatedNode : IAsyncDisposable
{
    private readonly NodeFrameLink _radio;
    private readonly CoapServer _server;
    private readonly DeviceResources _resources;

    /// <summary>Creates the node and joins it to <paramref name="air"/>; <see cref="StartAsync"/> starts it.</summary>
    /// <param name="name">Display name.</param>
    /// <param name="device">The device model.</param>
    /// <param name="air">The medium.</param>
    /// <param name="channel">802.15.4 channel.</param>
    /// <param name="panId">PAN id.</param>
    /// <param name="meshPrefix">Mesh prefix.</param>
    /// <param name="reportingPeriod">Observe notification period.</param>
    /// <param name="blockSize">CoAP block size.</param>
    /// <param name="timeProvider">Clock.</param>
    /// <param name="loggerFactory">Loggers.</param>
    /// <param name="rpl">RPL router settings; null = single hop without RPL.</param>
    /// <param name="random">Randomness of the RPL timers.</param>
    public SimulatedNode(string name, SimulatedDevice device, SimulatedAir air, int channel, ushort panId, Ipv6Prefix meshPrefix, TimeSpan reportingPeriod, int blockSize = 64, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null, NodeRplSettings? rpl = null, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(air);
        TimeProvider time = timeProvider ?? TimeProvider.System;
        ILoggerFactory loggers = loggerFactory ?? NullLoggerFactory.Instance;
        Name = name;
        Device = device;
        _radio = new NodeFrameLink(air, device.ExtendedAddress, channel, time);
        Network = new NodeNetworkStack(_radio, panId, meshPrefix, time, loggers.CreateLogger<NodeNetworkStack>(), rpl, random);
        _server = new CoapServer(Network, new CoapServerOptions { PreferredBlockSize = blockSize }, time, loggers.CreateLogger<CoapServer>());
        _resources = new DeviceResources(device, _server.Root, time, reportingPeriod);
        air.Attach(_radio);
    }

    /// <summary>Display name, e.g. plug-1.</summary>
    public string Name { get; }

    /// <summary>The device model.</summary>
    public SimulatedDevice Device { get; }

    /// <summary>The node's radio (its station on the air).</summary>
    public NodeFrameLink Radio => _radio;

    /// <summary>The node's IPv6 stack (addresses, counters).</summary>
    public NodeNetworkStack Network { get; }

    /// <summary>Starts receiving and serving.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Network.Start();
        await _server.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _resources.Dispose();
        await _server.DisposeAsync().ConfigureAwait(false);
        _radio.Dispose();
        await Network.DisposeAsync().ConfigureAwait(false);
    }
}
