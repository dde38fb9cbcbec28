namespace ActiveGate.HotSwap.Bench.Proxy;

/// <summary>Sees every chunk (TCP) or datagram (UDP) as it is delivered at the far side of the emulated link.</summary>
/// <remarks>Both directions of a flow are delivered by different tasks: implementations synchronise themselves.</remarks>
public interface ITrafficObserver
{
    void OnOpened(long flow, DateTimeOffset at);

    void OnData(long flow, FlowDirection direction, DateTimeOffset at, ReadOnlySpan<byte> data);

    void OnClosed(long flow, DateTimeOffset at);
}

/// <summary>One delivered chunk; <see cref="StartsExchange"/> marks the first upstream chunk after a response (a new round trip).</summary>
public readonly record struct TrafficEvent(DateTimeOffset At, long Flow, FlowDirection Direction, int Bytes, bool StartsExchange);

/// <summary>Totals of a proxy (both directions, all flows) at one moment.</summary>
public sealed record TrafficStats(
    long Flows,
    long ConnectFailures,
    long UpstreamBytes,
    long DownstreamBytes,
    long UpstreamMessages,
    long DownstreamMessages,
    long Exchanges,
    long Dropped);

/// <summary>
/// Counts a proxy's traffic. An exchange is a client→target burst that follows target→client data (or opens the flow):
/// on a request/response protocol without pipelining, one exchange per request, whatever the TCP segmentation.
/// </summary>
public sealed class TrafficLog : ITrafficObserver
{
    private readonly Lock _gate = new();
    private readonly Dictionary<long, FlowDirection?> _lastDirection = [];
    private readonly List<TrafficEvent>? _events;
    private long _flows;
    private long _connectFailures;
    private long _upBytes;
    private long _downBytes;
    private long _upMessages;
    private long _downMessages;
    private long _exchanges;
    private long _dropped;

    public TrafficLog(bool recordEvents = false) => _events = recordEvents ? [] : null;

    /// <summary>Every delivered chunk, oldest first (empty unless constructed with <c>recordEvents</c>).</summary>
    public IReadOnlyList<TrafficEvent> Events
    {
        get
        {
            lock (_gate)
            {
                return _events is null ? [] : [.. _events];
            }
        }
    }

    public TrafficStats Snapshot()
    {
        lock (_gate)
        {
            return new TrafficStats(_flows, _connectFailures, _upBytes, _downBytes, _upMessages, _downMessages, _exchanges, _dropped);
        }
    }

    public void OnOpened(long flow, DateTimeOffset at)
    {
        lock (_gate)
        {
            _flows++;
            _lastDirection[flow] = null;
        }
    }

    public void OnData(long flow, FlowDirection direction, DateTimeOffset at, ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            bool starts = false;
            if (direction == FlowDirection.Upstream)
            {
                _upBytes += data.Length;
                _upMessages++;
                starts = !_lastDirection.TryGetValue(flow, out FlowDirection? last) || last != FlowDirection.Upstream;
                if (starts)
                {
                    _exchanges++;
                }
            }
            else
            {
                _downBytes += data.Length;
                _downMessages++;
            }

            _lastDirection[flow] = direction;
            _events?.Add(new TrafficEvent(at, flow, direction, data.Length, starts));
        }
    }

    public void OnClosed(long flow, DateTimeOffset at)
    {
        lock (_gate)
        {
            _lastDirection.Remove(flow);
        }
    }

    internal void ConnectFailed() => Interlocked.Increment(ref _connectFailures);

    internal void Dropped() => Interlocked.Increment(ref _dropped);
}
