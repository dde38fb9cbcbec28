using System.Text.Json.Serialization.Metadata;
using ActiveGate.OneM2m.Primitives;
using ActiveGate.OneM2m.Resources;
using ActiveGate.OneM2m.Upstream;

namespace ActiveGate.OneM2m;

/// <summary>
/// Typed oneM2M operations over a binding. Every call takes ONE snapshot of the endpoint provider and builds
/// the whole request (structured address, originator, release) from it, so a re-target never mixes endpoints.
/// Paths are "below the CSEBase": <c>ActiveGate01/plug-1/ch1/meas</c> becomes <c>cse-in/ActiveGate01/…</c>.
/// </summary>
public sealed class OneM2mClient
{
    private readonly IOneM2mBinding _binding;

    public OneM2mClient(IOneM2mBinding binding, IUpstreamEndpointProvider endpoints)
    {
        _binding = binding ?? throw new ArgumentNullException(nameof(binding));
        Endpoints = endpoints ?? throw new ArgumentNullException(nameof(endpoints));
    }

    public IUpstreamEndpointProvider Endpoints { get; }

    /// <summary>Sends a primitive built from the current endpoint snapshot.</summary>
    public Task<ResponsePrimitive> SendAsync(Func<UpstreamEndpoint, RequestPrimitive> build, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(build);
        UpstreamSnapshot snapshot = Endpoints.Current;
        if (snapshot.Endpoint is null)
        {
            return _binding.SendAsync(snapshot, new RequestPrimitive { Operation = Operation.Retrieve, To = "" }, cancellationToken);
        }

        return _binding.SendAsync(snapshot, build(snapshot.Endpoint), cancellationToken);
    }

    public Task<ResponsePrimitive> CreateAsync<T>(string parentPath, ResourceType type, string rootKey, T resource, JsonTypeInfo<T> typeInfo,
        ResultContent? resultContent = null, string? from = null, CancellationToken cancellationToken = default)
    {
        byte[] body = OneM2mJson.Wrap(rootKey, resource, typeInfo);
        return CreateRawAsync(parentPath, type, body, resultContent, from, cancellationToken);
    }

    public Task<ResponsePrimitive> CreateRawAsync(string parentPath, ResourceType type, ReadOnlyMemory<byte> body,
        ResultContent? resultContent = null, string? from = null, CancellationToken cancellationToken = default)
        => SendAsync(ep => new RequestPrimitive
        {
            Operation = Operation.Create,
            To = ep.Structured(parentPath),
            From = from,
            ResourceType = type,
            Content = body,
            ResultContent = resultContent,
        }, cancellationToken);

    public Task<ResponsePrimitive> RetrieveAsync(string path, ResultContent? resultContent = null,
        IReadOnlyList<KeyValuePair<string, string>>? query = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        => SendAsync(ep => new RequestPrimitive
        {
            Operation = Operation.Retrieve,
            To = ep.Structured(path),
            ResultContent = resultContent,
            Query = query,
            Timeout = timeout,
        }, cancellationToken);

    public Task<ResponsePrimitive> UpdateAsync<T>(string path, string rootKey, T resource, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
        => UpdateRawAsync(path, OneM2mJson.Wrap(rootKey, resource, typeInfo), cancellationToken);

    public Task<ResponsePrimitive> UpdateRawAsync(string path, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
        => SendAsync(ep => new RequestPrimitive { Operation = Operation.Update, To = ep.Structured(path), Content = body }, cancellationToken);

    public Task<ResponsePrimitive> DeleteAsync(string path, CancellationToken cancellationToken = default)
        => SendAsync(ep => new RequestPrimitive { Operation = Operation.Delete, To = ep.Structured(path) }, cancellationToken);

    /// <summary>
    /// Reads the CSEBase and picks the highest release both sides support (pitfall 1 of the notes: read <c>srv</c>,
    /// choose from it). Returns null when the CSE cannot be read or shares no release with <paramref name="ours"/>:
    /// keep the configured release then. ACME lets only its admin originator (CAdmin) read the CSEBase; an AE gets
    /// 403/4103, so pass <paramref name="from"/> if an admin or ACP-granted originator is available.
    /// </summary>
    public async Task<string?> NegotiateReleaseAsync(IReadOnlyList<string> ours, string? from = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ours);
        ResponsePrimitive r = await SendAsync(ep => new RequestPrimitive { Operation = Operation.Retrieve, To = ep.CseBaseName, From = from },
            cancellationToken).ConfigureAwait(false);
        CseBase? cb = r.IsSuccess ? r.ReadResource(CseBase.RootKey, OneM2mJsonContext.Default.CseBase) : null;
        if (cb?.SupportedReleaseVersions is not { } theirs)
        {
            return null;
        }

        // Release names order as 1 < 2 < 2a < 3 < 4 < 5 with ordinal comparison.
        return ours.Where(theirs.Contains).OrderDescending(StringComparer.Ordinal).FirstOrDefault();
    }

    public Task<ResponsePrimitive> CreateAeAsync(ApplicationEntity ae, CancellationToken cancellationToken = default)
        => CreateAsync("", ResourceType.AE, ApplicationEntity.RootKey, ae, OneM2mJsonContext.Default.ApplicationEntity, cancellationToken: cancellationToken);

    public Task<ResponsePrimitive> CreateContainerAsync(string parentPath, Container container, CancellationToken cancellationToken = default)
        => CreateAsync(parentPath, ResourceType.Container, Container.RootKey, container, OneM2mJsonContext.Default.Container, ResultContent.Nothing, cancellationToken: cancellationToken);

    public Task<ResponsePrimitive> CreateContentInstanceAsync(string containerPath, ContentInstance instance, CancellationToken cancellationToken = default)
        => CreateAsync(containerPath, ResourceType.ContentInstance, ContentInstance.RootKey, instance, OneM2mJsonContext.Default.ContentInstance, ResultContent.Nothing, cancellationToken: cancellationToken);

    public Task<ResponsePrimitive> CreateSubscriptionAsync(string parentPath, Subscription subscription, CancellationToken cancellationToken = default)
        => CreateAsync(parentPath, ResourceType.Subscription, Subscription.RootKey, subscription, OneM2mJsonContext.Default.Subscription, ResultContent.Nothing, cancellationToken: cancellationToken);
}
