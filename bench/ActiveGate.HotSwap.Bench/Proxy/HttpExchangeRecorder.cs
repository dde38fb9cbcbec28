using System.Globalization;
using System.Text.Json;

namespace ActiveGate.HotSwap.Bench.Proxy;

/// <summary>
/// One oneM2M request/response over the HTTP binding as it crossed the emulated link. <see cref="RequestAt"/> is when
/// the request's first byte reached the platform, <see cref="ResponseAt"/> when the response's last byte reached the
/// agent (so a CREATE is "accepted" at <see cref="ResponseAt"/> from the agent's point of view).
/// </summary>
public sealed record HttpExchange(
    long Flow,
    string Method,
    string Target,
    int? ResourceType,
    string? ResourceName,
    DateTimeOffset RequestAt,
    DateTimeOffset ResponseAt,
    int Status,
    int? Rsc)
{
    /// <summary>A oneM2M CREATE: POST with <c>ty</c> in Content-Type (TS-0009 §6.4.3).</summary>
    public bool IsCreate => Method == "POST" && ResourceType is not null;

    public bool Succeeded => Status is >= 200 and < 300;

    /// <summary>2001 Created, or 4105 Conflict (the resource exists: an earlier attempt was stored).</summary>
    public bool CreatedOrExisted => IsCreate && (Rsc == 2001 || Rsc == 4105 || (Rsc is null && Status == 201));
}

/// <summary>
/// Watches a <see cref="LatencyProxy"/>'s flows and pairs HTTP requests with their responses (HTTP/1.1 answers in order
/// on a connection), noting the oneM2M resource type and, for a CREATE, the resource name from the body. This is how
/// the bench timestamps what a test CSE accepted without changing the CSE.
/// </summary>
public sealed class HttpExchangeRecorder : IExchangeRecorder
{
    private readonly Lock _gate = new();
    private readonly Dictionary<long, FlowState> _flows = [];
    private readonly List<HttpExchange> _exchanges = [];
    private readonly List<HttpExchange> _unanswered = [];

    /// <summary>Completed exchanges in order of their responses.</summary>
    public IReadOnlyList<HttpExchange> Exchanges
    {
        get
        {
            lock (_gate)
            {
                return [.. _exchanges];
            }
        }
    }

    /// <summary>Requests whose connection closed before their response came back (Status 0): the platform may or may not have stored them.</summary>
    public IReadOnlyList<HttpExchange> Unanswered
    {
        get
        {
            lock (_gate)
            {
                return [.. _unanswered];
            }
        }
    }

    /// <summary>Requests whose response has not arrived yet: (flow, request) in flight on the link or at the platform.</summary>
    public IReadOnlyList<HttpExchange> Pending
    {
        get
        {
            lock (_gate)
            {
                return [.. _flows.SelectMany(f => f.Value.Waiting.Select(r => Describe(f.Key, r, null)))];
            }
        }
    }

    /// <summary>Flows whose traffic could not be framed as HTTP/1.1.</summary>
    public int UnparsableFlows
    {
        get
        {
            lock (_gate)
            {
                return _flows.Values.Count(f => f.Requests.Broken || f.Responses.Broken);
            }
        }
    }

    public void OnOpened(long flow, DateTimeOffset at)
    {
        lock (_gate)
        {
            _flows[flow] = new FlowState();
        }
    }

    /// <summary>Debugging the framing: with HOTSWAP_RAW_DIR set, every chunk is appended to DIR/flow-N.txt as it was delivered.</summary>
    private static readonly string? s_rawDirectory = Environment.GetEnvironmentVariable("HOTSWAP_RAW_DIR");

    public void OnData(long flow, FlowDirection direction, DateTimeOffset at, ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            if (s_rawDirectory is not null)
            {
                File.AppendAllText(Path.Combine(s_rawDirectory, $"{GetHashCode():x}-flow-{flow}.txt"),
                    $"\n=== {direction} {at:HH:mm:ss.ffff} {data.Length} bytes\n" + System.Text.Encoding.Latin1.GetString(data));
            }

            if (!_flows.TryGetValue(flow, out FlowState? state))
            {
                return;
            }

            var completed = new List<HttpWireMessage>();
            if (direction == FlowDirection.Upstream)
            {
                state.Requests.Append(data, at, static () => false, completed);
                foreach (HttpWireMessage request in completed)
                {
                    state.Waiting.Enqueue(request);
                }

                return;
            }

            state.Responses.Append(data, at, () => state.Waiting.TryPeek(out HttpWireMessage? r) && r.StartLine.StartsWith("HEAD ", StringComparison.Ordinal), completed);
            foreach (HttpWireMessage response in completed)
            {
                int status = StatusOf(response.StartLine);
                if (status is >= 100 and < 200 || !state.Waiting.TryDequeue(out HttpWireMessage? request))
                {
                    continue; // interim response, or one we did not see the request of
                }

                _exchanges.Add(Describe(flow, request, response));
            }
        }
    }

    public void OnClosed(long flow, DateTimeOffset at)
    {
        lock (_gate)
        {
            if (_flows.Remove(flow, out FlowState? state))
            {
                _unanswered.AddRange(state.Waiting.Select(r => Describe(flow, r, null)));
            }
        }
    }

    private static HttpExchange Describe(long flow, HttpWireMessage request, HttpWireMessage? response)
    {
        string[] start = request.StartLine.Split(' ', 3);
        int? ty = ResourceTypeOf(request.Header("Content-Type"));
        string? rn = request.StartLine.StartsWith("POST ", StringComparison.Ordinal) && ty is not null ? NameOf(request.Body) : null;
        int? rsc = int.TryParse(response?.Header("X-M2M-RSC"), CultureInfo.InvariantCulture, out int r) ? r : null;
        return new HttpExchange(flow, start[0], start.Length > 1 ? start[1] : "", ty, rn, request.FirstByteAt,
            response?.LastByteAt ?? DateTimeOffset.MaxValue, response is null ? 0 : StatusOf(response.StartLine), rsc);
    }

    private static int StatusOf(string statusLine)
    {
        string[] parts = statusLine.Split(' ', 3);
        return parts.Length >= 2 && int.TryParse(parts[1], CultureInfo.InvariantCulture, out int status) ? status : 0;
    }

    /// <summary><c>application/json;ty=4</c> → 4.</summary>
    internal static int? ResourceTypeOf(string? contentType)
    {
        if (contentType is null)
        {
            return null;
        }

        foreach (string parameter in contentType.Split(';').Skip(1))
        {
            string p = parameter.Trim();
            if (p.StartsWith("ty=", StringComparison.OrdinalIgnoreCase)
                && int.TryParse(p.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out int ty))
            {
                return ty;
            }
        }

        return null;
    }

    /// <summary>The <c>rn</c> under the body's root key, e.g. <c>{"m2m:cin":{"rn":"plug-a-ch1-7",…}}</c>.</summary>
    internal static string? NameOf(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            foreach (JsonProperty root in doc.RootElement.EnumerateObject())
            {
                if (root.Value.ValueKind == JsonValueKind.Object && root.Value.TryGetProperty("rn", out JsonElement rn) && rn.ValueKind == JsonValueKind.String)
                {
                    return rn.GetString();
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON (or another serialisation): no name.
        }

        return null;
    }

    private sealed class FlowState
    {
        public HttpMessageReader Requests { get; } = new(responses: false);

        public HttpMessageReader Responses { get; } = new(responses: true);

        public Queue<HttpWireMessage> Waiting { get; } = new();
    }
}
