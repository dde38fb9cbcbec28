using System.Globalization;
using ActiveGate.Coap.Messages;
using ActiveGate.TestKit.Lwm2m;

namespace ActiveGate.HotSwap.Bench.Harness;

/// <summary>
/// Swaps the way a device-management server does: a Write-Replace (PUT, TLV) of the whole Transport Management Policy
/// instance /26241/0 to the agent, which registered with the <see cref="ScriptedLwm2mServer"/> this driver runs in the
/// bench process. The acknowledgement is the moment the 2.04 Changed arrived. The LwM2M path is loopback without a
/// delay proxy: the device-management link is not what is measured, the agent's move to the new platform is.
/// </summary>
public sealed class Lwm2mSwapDriver : ISwapDriver
{
    private const int PolicyObject = 26241;
    private const string Endpoint = "activegate-hotswap-bench";

    private readonly ScriptedLwm2mServer _server = new();
    private readonly string _service;
    private int _disposed;

    /// <param name="service">Resource 0, the upstream service whose platform changes (the agent's is "readings").</param>
    public Lwm2mSwapDriver(string service) => _service = service;

    public string Description => $"LwM2M: Write-Replace /{PolicyObject}/0 (TLV) from a scripted server at {_server.Uri}, ack = 2.04 Changed";

    /// <summary>What the agent needs in its environment to register with this server.</summary>
    public IReadOnlyDictionary<string, string> AgentEnvironment => new Dictionary<string, string>
    {
        ["ACTIVEGATE__Lwm2m__ServerUri"] = _server.Uri.ToString(),
        ["ACTIVEGATE__Lwm2m__Endpoint"] = Endpoint,
    };

    /// <summary>Until the agent registered: a write before that has no one to go to.</summary>
    public Task WaitForRegistrationAsync(TimeSpan timeout, CancellationToken cancellationToken)
        => _server.WaitForRegistrationAsync(timeout, cancellationToken);

    /// <summary>The policy's read-only state (/26241/0/8 state, 9 reason, 12 switch count), for the report.</summary>
    public async Task<string> DescribeStateAsync(CancellationToken cancellationToken)
    {
        string Read(CoapResponse r) => r.Code == CoapCode.Content ? r.PayloadAsString : $"({r.Code})";
        string state = Read(await _server.ReadAsync($"/{PolicyObject}/0/8", accept: 0, ct: cancellationToken));
        CoapResponse reasonRead = await _server.ReadAsync($"/{PolicyObject}/0/9", accept: 0, ct: cancellationToken);
        string reason = reasonRead.Code == CoapCode.Content ? reasonRead.PayloadAsString : ""; // 4.04 while there is no reason
        string switches = Read(await _server.ReadAsync($"/{PolicyObject}/0/12", accept: 0, ct: cancellationToken));
        return $"state {state}, switch count {switches}" + (string.IsNullOrWhiteSpace(reason) ? "" : $", reason: {reason}");
    }

    public async Task<DateTimeOffset> SwitchAsync(PlatformAddress target, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        Uri u = target.Upstream;
        var policy = new Dictionary<int, WriteValue>
        {
            [0] = _service,
            [1] = u.Scheme,
            [2] = u.Host,
            [3] = u.Port,
            [4] = target.CseId,
            [5] = target.CseName,
            [6] = "Cactivegate01", // the agent's default originator: the same AE on every platform
        };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        CoapResponse response;
        try
        {
            response = await _server.WriteInstanceAsync(PolicyObject, 0, policy, WriteFormat.Tlv, replace: true, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no answer to the write of /{PolicyObject}/0 within 30 s");
        }

        // Taken before anything else runs: the 2.04's arrival (to within the continuation's scheduling).
        DateTimeOffset acknowledged = timeProvider.GetUtcNow();
        if (response.Code != CoapCode.Changed)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"the agent answered the policy write with {response.Code}: {response.PayloadAsString}"));
        }

        return acknowledged;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await _server.DisposeAsync();
        }
    }
}
