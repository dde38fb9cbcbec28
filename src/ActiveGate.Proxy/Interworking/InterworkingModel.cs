using ActiveGate.Devices;
using ActiveGate.Devices.Model;

namespace ActiveGate.Proxy.Interworking;

/// <summary>A mesh device as the interworking sees it (nothing of CoAP).</summary>
/// <param name="Id">Stable device identity, e.g. the EUI-64 ("0012:4b00:0001:0001").</param>
/// <param name="Channels">Metered/switched channels, numbered from 1.</param>
public sealed record DeviceDescriptor(string Id, DeviceKind Kind, int Channels, IReadOnlyList<string>? Labels = null);

/// <summary>One reading of one channel, as the interworking maps it.</summary>
/// <param name="Sequence">
/// Unique per (device, channel) for the life of the upstream, e.g. the outbox sequence: it names the contentInstance,
/// so a retried create that meets 4105 is recognised as already delivered.
/// </param>
/// <param name="Epoch">The device's counter epoch (see <c>ChannelSample.Epoch</c>); with <paramref name="DeviceSequence"/> it
/// identifies the measurement itself, so a platform can tell one measurement from another wherever it was delivered.</param>
/// <param name="DeviceSequence">The device's own measurement counter.</param>
public sealed record DeviceReading(
    string DeviceId,
    int Channel,
    long Sequence,
    DateTimeOffset Timestamp,
    double? PowerW = null,
    double? EnergyWh = null,
    double? CurrentA = null,
    double? VoltageV = null,
    bool? RelayOn = null,
    int Epoch = 0,
    long? DeviceSequence = null);

/// <summary>A switching command received from the platform.</summary>
/// <param name="CommandId">Identifies the command upstream (the command cin's rn/ri, or the subscription event).</param>
/// <param name="Deadline">After this the command is never carried out (null: <see cref="InterworkingOptions.CommandTimeout"/>
/// from when the agent starts it).</param>
public sealed record SwitchCommand(string DeviceId, int Channel, bool On, string CommandId, DateTimeOffset? Deadline = null);

/// <summary>
/// Switches a relay and reports the state read back from the device. The token is cancelled at the command's
/// deadline: the actuator must then stop (no late retransmission that switches the relay after the platform was told
/// the command failed).
/// </summary>
public interface ISwitchActuator
{
    Task<SwitchResult> SwitchAsync(SwitchCommand command, CancellationToken cancellationToken);
}

public enum ReadingDelivery
{
    Delivered,
    RetryLater,
    Rejected,
}

public enum MappingMode
{
    /// <summary>AE / device container / ch{n} / meas + cmd + state (works with every CSE).</summary>
    Containers,
    /// <summary>TS-0023 flexContainers: deviceSmartPlug / subDevicePowerOutlet / binarySwitch + energyConsumption.</summary>
    SmartDevice,
}

/// <summary>
/// The TS-0023 naming, which differs by release: Release 4/5 <c>cod:</c> / <c>org.onem2m.common</c> / <c>state</c>
/// (ACME), Release 2 <c>hd:</c> / <c>org.onem2m.home</c> / <c>powSe</c> (Eclipse OM2M).
/// </summary>
public sealed record SdtProfile(string Prefix, string Domain, string SwitchStateDataPoint)
{
    public static SdtProfile Common { get; } = new("cod", "org.onem2m.common", "state");

    public static SdtProfile Home { get; } = new("hd", "org.onem2m.home", "powSe");

    public string DeviceSmartPlugKey => Prefix + ":deSPg";

    public string PowerOutletKey => Prefix + ":sDPOt";

    public string BinarySwitchKey => Prefix + ":binSh";

    public string EnergyConsumptionKey => Prefix + ":eneCn";

    public string DeviceSmartPlugCnd => Domain + ".device.deviceSmartPlug";

    public string PowerOutletCnd => Domain + ".subdevice.subDevicePowerOutlet";

    public string BinarySwitchCnd => Domain + ".moduleclass.binarySwitch";

    public string EnergyConsumptionCnd => Domain + ".moduleclass.energyConsumption";
}

public sealed class InterworkingOptions
{
    /// <summary>Resource name of the gateway's AE below the CSEBase.</summary>
    public string AeName { get; set; } = "ActiveGate01";

    /// <summary>App-ID; must start with 'N' (or 'R' when registered) for strict CSEs.</summary>
    public string AppId { get; set; } = "Nodroid.activegate";

    /// <summary>
    /// The notification endpoint(s) (the listener's public URL). Empty = not reachable (NAT): the AE registers with
    /// rr=false and commands are fetched by long-polling a pollingChannel.
    /// </summary>
    public IList<string> PointOfAccess { get; set; } = [];

    public IList<string> SupportedReleases { get; set; } = ["3"];

    public MappingMode Mode { get; set; } = MappingMode.Containers;

    public SdtProfile Sdt { get; set; } = SdtProfile.Common;

    /// <summary><c>mni</c> of the readings container (the CSE prunes older ones).</summary>
    public int ReadingsMaxInstances { get; set; } = 100;

    public int CommandMaxInstances { get; set; } = 10;

    /// <summary>Readings of different (device, channel) pairs sent concurrently; order within a pair is always kept.</summary>
    public int MaxParallelChannels { get; set; } = 8;

    /// <summary>
    /// How long a command may take from its arrival (or, for a command found at the platform after an outage, from its
    /// creation there) until the relay is confirmed; later it is reported as timed out and never carried out.
    /// </summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Long-poll timeout of the pollingChannel request.</summary>
    public TimeSpan PollTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Lifetime set as <c>et</c> on the AE, containers and subscriptions; null leaves the CSE default (ACME: 5 years,
    /// OpenMTC: 1 hour). Expired resources are re-created on the next 4004, so a short lifetime is self-healing.
    /// </summary>
    public TimeSpan? ResourceLifetime { get; set; }

    public bool Reachable => PointOfAccess.Count > 0;
}
