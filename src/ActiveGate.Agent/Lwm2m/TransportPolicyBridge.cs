using ActiveGate.Agent.Proxy;
using ActiveGate.Lwm2m.Model;
using ActiveGate.Lwm2m.Objects;
using ActiveGate.OneM2m.Upstream;
using ActiveGate.Proxy.Upstream;
using Microsoft.Extensions.Logging;

namespace ActiveGate.Agent.Lwm2m;

/// <summary>
/// Joins the Transport Management Policy object (/26241) to the upstream services: a server's write becomes
/// <see cref="ProxyService.RequestSwitch"/> (the same path as <c>activegate upstream switch</c>), and every change of a
/// service (whoever caused it) is shown in its instance, with the swap's state in resources 8..12 so an observing
/// server sees it progress. The object only knows endpoints; where the data goes is the proxy's business.
/// </summary>
internal sealed partial class TransportPolicyBridge : IDisposable
{
    private readonly TransportPolicyObject _object;
    private readonly ProxyService _proxy;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<int, string> _refused = [];

    public TransportPolicyBridge(TransportPolicyObject policyObject, ProxyService proxy, ILogger logger)
    {
        _object = policyObject;
        _proxy = proxy;
        _logger = logger;
        _object.PolicyWritten += OnPolicyWritten;
        _object.PolicyDeleted += OnPolicyDeleted;
        _proxy.ServiceChanged += OnServiceChanged;
        foreach (UpstreamService service in _proxy.Services)
        {
            Reflect(service.Id);
        }
    }

    /// <summary>The object's view of a policy; null for the log (no platform: no instance to show).</summary>
    public static TransportPolicy? ToObject(UpstreamPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (policy.Endpoint is not { } e)
        {
            return null;
        }

        Uri url = e.BaseUrl;
        string address = url.HostNameType == UriHostNameType.IPv6 ? url.Host.Trim('[', ']') : url.Host;
        return new TransportPolicy(policy.ServiceName, url.Scheme, address, url.Port, e.SpRelativeCseId, e.CseBaseName, e.Origin, e.ReleaseVersion);
    }

    /// <summary>The proxy's view of a written instance.</summary>
    public static UpstreamPolicy FromObject(TransportPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var endpoint = new UpstreamEndpoint(policy.GetBaseUri(), policy.CseId, policy.CseBaseName, policy.Originator, policy.ReleaseVersion ?? "3");
        return new UpstreamPolicy(policy.ServiceName, endpoint, PolicySource.Lwm2m);
    }

    private void OnPolicyWritten(object? sender, TransportPolicyWrittenEventArgs e)
    {
        // On the CoAP request path: RequestSwitch only validates, persists and wakes the swap (no network I/O).
        string? refused = _proxy.RequestSwitch(e.InstanceId, FromObject(e.Policy));
        lock (_gate)
        {
            if (refused is null)
            {
                _refused.Remove(e.InstanceId);
            }
            else
            {
                _refused[e.InstanceId] = refused;
            }
        }

        if (refused is not null)
        {
            LogRefused(_logger, e.InstanceId, refused);
        }

        Reflect(e.InstanceId);
    }

    private void OnPolicyDeleted(object? sender, TransportPolicyDeletedEventArgs e)
    {
        if (e.Origin == Lwm2mOrigin.Bootstrap || e.InstanceId == ProxyService.ReadingsServiceId)
        {
            // A re-bootstrap wipes every object; the data must not stop for it. The readings' service is never deleted.
            Reflect(e.InstanceId);
            return;
        }

        _ = RemoveAsync(e.InstanceId);
    }

    private async Task RemoveAsync(int id)
    {
        if (await _proxy.RemoveServiceAsync(id).ConfigureAwait(false) is { } problem)
        {
            LogRefused(_logger, id, problem);
        }
    }

    private void OnServiceChanged(object? sender, int id) => Reflect(id);

    /// <summary>Shows the service's policy in force and its state in instance <paramref name="id"/>.</summary>
    private void Reflect(int id)
    {
        try
        {
            UpstreamService? service = _proxy.Service(id);
            if (service is null)
            {
                if (_object.GetPolicy(id) is not null && !_refused.ContainsKey(id))
                {
                    _object.Remove(id);
                }

                return;
            }

            if (ToObject(service.Desired) is { } shown)
            {
                if (_object.GetPolicy(id) != shown)
                {
                    _object.Show(id, shown);
                }

                ServiceStatus status = service.Status;
                string? refused;
                lock (_gate)
                {
                    refused = _refused.GetValueOrDefault(id);
                }

                _object.ReportStatus(id, refused is not null
                    ? new TransportPolicyStatus(TransportPolicyState.Failed, refused, status.LastSwitchMilliseconds, status.ReadingsDelivered, status.SwitchCount)
                    : new TransportPolicyStatus(Map(status.State), status.Reason, status.LastSwitchMilliseconds, status.ReadingsDelivered, status.SwitchCount));
            }
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            LogReflectFailed(_logger, id, ex.Message);
        }
    }

    private static TransportPolicyState Map(ServiceState state) => state switch
    {
        ServiceState.Preparing => TransportPolicyState.Preparing,
        ServiceState.Active => TransportPolicyState.Active,
        ServiceState.Failed => TransportPolicyState.Failed,
        _ => TransportPolicyState.Pending,
    };

    public void Dispose()
    {
        _object.PolicyWritten -= OnPolicyWritten;
        _object.PolicyDeleted -= OnPolicyDeleted;
        _proxy.ServiceChanged -= OnServiceChanged;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "LwM2M: the policy written to /26241/{Instance} is not applied: {Reason}")]
    private static partial void LogRefused(ILogger logger, int instance, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "LwM2M: /26241/{Instance} could not show the upstream in force: {Reason}")]
    private static partial void LogReflectFailed(ILogger logger, int instance, string reason);
}
