using System.Net;
using ActiveGate.Devices.Discovery;

namespace ActiveGate.Devices.Transport;

/// <summary>
/// The CoAP requests the device layer makes of a mesh node. The agent implements it over the CoAP
/// client on the mesh transport; tests implement it in memory.
/// </summary>
public interface IDeviceClient
{
    /// <summary>GET <c>/.well-known/core</c>, parsed.</summary>
    Task<IReadOnlyList<DiscoveredLink>> DiscoverAsync(IPAddress device, CancellationToken cancellationToken);

    Task<DeviceResponse> GetAsync(IPAddress device, string path, CancellationToken cancellationToken);

    Task<DeviceResponse> PutAsync(IPAddress device, string path, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken);

    /// <summary>Observes a resource; the sequence ends when the observation ends (the device stopped it, or it never started).</summary>
    IAsyncEnumerable<DeviceResponse> ObserveAsync(IPAddress device, string path, CancellationToken cancellationToken);
}

/// <summary>A device's answer: CoAP code as class*100+detail (205 for 2.05) and payload.</summary>
public sealed record DeviceResponse(int Code, ReadOnlyMemory<byte> Payload)
{
    public bool IsSuccess => Code / 100 == 2;

    public override string ToString() => $"{Code / 100}.{Code % 100:00}";
}

/// <summary>The device did not answer in time (the node is probably gone).</summary>
public sealed class DeviceTimeoutException : Exception
{
    public DeviceTimeoutException()
    {
    }

    public DeviceTimeoutException(string message)
        : base(message)
    {
    }

    public DeviceTimeoutException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
