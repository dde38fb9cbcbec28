using System.Net;
using ActiveGate.HotSwap.Bench.Proxy;
using ActiveGate.TestKit.OneM2m;

namespace ActiveGate.HotSwap.Bench.Harness;

/// <summary>oneM2M binding between the agent and a test platform.</summary>
public enum PlatformBinding
{
    Http,

    /// <summary>The test CSE's CoAP front behind a <see cref="UdpLatencyProxy"/>, recorded by a <see cref="CoapExchangeRecorder"/>.</summary>
    Coap,
}

/// <summary>
/// One platform under test: a test CSE (in this process, so its contents can be read at the end) behind a
/// <see cref="LatencyProxy"/> that the agent is pointed at; the proxy's <see cref="HttpExchangeRecorder"/> timestamps
/// every request the CSE answered (the CSE's own request log has no times, and the bench does not change it).
/// </summary>
public sealed class TestPlatform : IAsyncDisposable
{
    private readonly TestCse _cse;
    private readonly IAsyncDisposable _proxy;
    private readonly TrafficLog _log;

    private TestPlatform(string name, string lane, TestCse cse, IAsyncDisposable proxy, TrafficLog log, Uri upstream, IExchangeRecorder recorder)
    {
        Name = name;
        Lane = lane;
        _cse = cse;
        _proxy = proxy;
        _log = log;
        Recorder = recorder;
        Address = new PlatformAddress(upstream, cse.CseId, cse.CseBaseName);
    }

    public string Name { get; }

    /// <summary>Which line of the timeline it is drawn on (A or B).</summary>
    public string Lane { get; }

    /// <summary>What the agent is told: the proxy's address and the CSE's identity.</summary>
    public PlatformAddress Address { get; }

    public IExchangeRecorder Recorder { get; }

    public TrafficStats Traffic => _log.Snapshot();

    /// <summary>What the CSE rejected as a protocol violation (expected empty).</summary>
    public IReadOnlyList<string> Violations => _cse.Violations;

    public static TestPlatform Start(string name, string lane, PlatformBinding binding, LatencyProxyOptions link)
    {
        // No request log (it grows without bound over a long run), no notifications (the agent's commands are not measured).
        TestCse cse = TestCse.Start(new TestCseOptions { RequestLogCapacity = 0, DeliverNotifications = false });
        if (binding == PlatformBinding.Coap)
        {
            // The CSE's CoAP front (UDP) behind the same link; the recorder pairs CoAP requests and responses by token.
            var coapRecorder = new CoapExchangeRecorder();
            var udp = new UdpLatencyProxy(new IPEndPoint(IPAddress.Loopback, cse.CoapPort), link, coapRecorder);
            return new TestPlatform(name, lane, cse, udp, udp.Log, new Uri($"coap://127.0.0.1:{udp.Port}/"), coapRecorder);
        }

        var recorder = new HttpExchangeRecorder();
        var proxy = new LatencyProxy(new IPEndPoint(IPAddress.Loopback, cse.Port), link, recorder);
        return new TestPlatform(name, lane, cse, proxy, proxy.Log, new Uri($"http://127.0.0.1:{proxy.Port}/"), recorder);
    }

    /// <summary>The names of every contentInstance stored (the agent names each reading uniquely: device-chN-sequence).</summary>
    public IReadOnlyList<string> ReadingNames()
        => [.. _cse.AllPaths().Where(p => _cse.Find(p)?.Type == 4).Select(p => p[(p.LastIndexOf('/') + 1)..])];

    public async ValueTask DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _cse.DisposeAsync();
    }
}
