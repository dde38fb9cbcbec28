using System.Net;
using System.Runtime.CompilerServices;
using ActiveGate.Coap;
using ActiveGate.Coap.Client;
using ActiveGate.Coap.LinkFormat;
using ActiveGate.Coap.Messages;
using ActiveGate.Devices.Discovery;

namespace ActiveGate.Devices.Transport;

/// <summary>The device layer's requests over our CoAP client (on the mesh transport in the agent).</summary>
public sealed class CoapDeviceClient : IDeviceClient
{
    private const int CoapPort = 5683;
    private readonly CoapClient _client;

    public CoapDeviceClient(CoapClient client)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
    }

    public async Task<IReadOnlyList<DiscoveredLink>> DiscoverAsync(IPAddress device, CancellationToken cancellationToken)
    {
        IReadOnlyList<CoapLink> links = await Call(() => _client.DiscoverAsync(UriFor(device, "/.well-known/core"), null, cancellationToken)).ConfigureAwait(false);
        return links.Select(l => new DiscoveredLink(l.Target, l.ResourceTypes, l.IsObservable)).ToArray();
    }

    public async Task<DeviceResponse> GetAsync(IPAddress device, string path, CancellationToken cancellationToken) =>
        Map(await Call(() => _client.GetAsync(UriFor(device, path), cancellationToken)).ConfigureAwait(false));

    public async Task<DeviceResponse> PutAsync(IPAddress device, string path, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        Map(await Call(() => _client.PutAsync(UriFor(device, path), payload, CoapContentFormat.TextPlain, cancellationToken)).ConfigureAwait(false));

    public async IAsyncEnumerable<DeviceResponse> ObserveAsync(IPAddress device, string path, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        IAsyncEnumerator<CoapResponse> notifications = _client.ObserveAsync(UriFor(device, path), cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                bool more;
                try
                {
                    more = await notifications.MoveNextAsync().ConfigureAwait(false);
                }
                catch (CoapTimeoutException ex)
                {
                    throw new DeviceTimeoutException($"[{device}]{path}: {ex.Message}", ex);
                }
                catch (CoapException ex)
                {
                    throw new IOException($"[{device}]{path}: {ex.Message}", ex);
                }

                if (!more)
                {
                    yield break;
                }

                yield return Map(notifications.Current);
            }
        }
        finally
        {
            await notifications.DisposeAsync().ConfigureAwait(false);
        }
    }

    internal static Uri UriFor(IPAddress device, string path) => new($"coap://[{device}]:{CoapPort}{path}");

    private static DeviceResponse Map(CoapResponse response) => new((response.Code.Class * 100) + response.Code.Detail, response.Payload);

    private static async Task<T> Call<T>(Func<Task<T>> request)
    {
        try
        {
            return await request().ConfigureAwait(false);
        }
        catch (CoapTimeoutException ex)
        {
            throw new DeviceTimeoutException(ex.Message, ex);
        }
        catch (LinkFormatException ex)
        {
            throw new DevicePayloadException("/.well-known/core is not valid link format: " + ex.Message, ex);
        }
        catch (CoapException ex)
        {
            throw new IOException(ex.Message, ex);
        }
    }
}
