using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using ActiveGate.Devices.Model;
using ActiveGate.Devices.Readings;
using ActiveGate.OneM2m.Coap;
using ActiveGate.OneM2m.Http;
using ActiveGate.OneM2m.Primitives;
using ActiveGate.OneM2m.Upstream;
using ActiveGate.Outbox;
using ActiveGate.Proxy.Interworking;
using ActiveGate.Proxy.Upstream;
using ActiveGate.TestKit.OneM2m;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActiveGate.Proxy.Tests.Upstream;

/// <summary>One request a generation's binding sent: when it left and when its answer came (Stopwatch ticks).</summary>
internal sealed record SentRequest(Operation Operation, string To, ResourceType? Type, long StartedAt)
{
    public long? AnsweredAt { get; set; }
}

/// <summary>
/// Wraps the real binding of one generation, so a test can see what was sent where and when, and whether the
/// generation disposed its binding (a retired or abandoned generation must).
/// </summary>
internal sealed class TrackedBinding(UpstreamEndpoint endpoint, IOneM2mBinding inner) : IOneM2mBinding, IAsyncDisposable
{
    private readonly ConcurrentQueue<SentRequest> _sent = new();
    private int _disposed;
    private int _sentAfterDispose;
    private int _inFlight;

    public UpstreamEndpoint Endpoint => endpoint;

    public bool Disposed => Volatile.Read(ref _disposed) == 1;

    public int SentAfterDispose => Volatile.Read(ref _sentAfterDispose);

    public int InFlight => Volatile.Read(ref _inFlight);

    public IReadOnlyList<SentRequest> Sent => [.. _sent];

    public async Task<ResponsePrimitive> SendAsync(UpstreamSnapshot upstream, RequestPrimitive request, CancellationToken cancellationToken)
    {
        if (Disposed)
        {
            Interlocked.Increment(ref _sentAfterDispose);
        }

        var record = new SentRequest(request.Operation, request.To, request.ResourceType, Stopwatch.GetTimestamp());
        _sent.Enqueue(record);
        Interlocked.Increment(ref _inFlight);
        try
        {
            return await inner.SendAsync(upstream, request, cancellationToken);
        }
        finally
        {
            record.AnsweredAt = Stopwatch.GetTimestamp();
            Interlocked.Decrement(ref _inFlight);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        if (inner is IAsyncDisposable d)
        {
            await d.DisposeAsync();
        }
    }
}

/// <summary>HTTP and CoAP like the agent's factory (no coaps: no PSK here), every binding tracked.</summary>
internal sealed class TestBindings : IUpstreamBindingFactory, IDisposable
{
    private readonly HttpClient _http = new(HttpBinding.CreateHandler()) { Timeout = Timeout.InfiniteTimeSpan };
    private readonly ConcurrentQueue<TrackedBinding> _created = new();

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public IReadOnlyList<TrackedBinding> Created => [.. _created];

    /// <summary>Every binding made for the platform at <paramref name="baseUrl"/>, oldest first.</summary>
    public IReadOnlyList<TrackedBinding> For(Uri baseUrl) => [.. _created.Where(b => b.Endpoint.BaseUrl == baseUrl)];

    public IOneM2mBinding Create(UpstreamEndpoint endpoint)
    {
        IOneM2mBinding inner = endpoint.BaseUrl.Scheme switch
        {
            "http" or "https" => new HttpBinding(_http, new HttpBindingOptions { RequestTimeout = RequestTimeout }),
            "coap" => new CoapBinding(new CoapBindingOptions { RequestTimeout = RequestTimeout }),
            string scheme => throw new NotSupportedException($"scheme {scheme} is not supported by this agent"),
        };
        var tracked = new TrackedBinding(endpoint, inner);
        _created.Enqueue(tracked);
        return tracked;
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>Records every command the interworking executes.</summary>
internal sealed class FakeActuator : ISwitchActuator
{
    public ConcurrentQueue<SwitchCommand> Commands { get; } = new();

    public Task<ActiveGate.Devices.SwitchResult> SwitchAsync(SwitchCommand command, CancellationToken cancellationToken)
    {
        Commands.Enqueue(command);
        return Task.FromResult(new ActiveGate.Devices.SwitchResult(true, command.On, null));
    }
}

/// <summary>
/// An <see cref="UpstreamService"/> as the agent runs it: a real durable outbox in a temporary directory, real
/// bindings over loopback, the readings' default cursor. Readings are named by their outbox sequence at the CSE, so a
/// test can tell exactly which reading reached which platform.
/// </summary>
internal sealed class SwapHarness : IAsyncDisposable
{
    public const string ServiceName = "readings";

    public static readonly DeviceDescriptor[] Devices =
    [
        new("plug-a", DeviceKind.ActivePlug, 1), new("plug-b", DeviceKind.ActivePlug, 1), new("din-a", DeviceKind.ActiveDin, 3),
    ];

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ag-swap-" + Guid.NewGuid().ToString("N"));
    private readonly CancellationTokenSource _cts = new();
    private Task _run = Task.CompletedTask;
    private int _appended;

    private SwapHarness(TestCse initial, TestBindings bindings, InterworkingOptions? interworking, TimeSpan inFlightBound, int batchSize, IEnumerable<DeviceDescriptor> devices)
    {
        Bindings = bindings;
        OutboxOptions = new OutboxOptions
        {
            Directory = _dir,
            DeliveryBatchSize = batchSize,
            RetryInitialDelay = TimeSpan.FromMilliseconds(50),
            RetryMaxDelay = TimeSpan.FromMilliseconds(400),
            UnsafeSkipFsync = true, // crash safety is not under test here; speed is
        };
        Outbox = DurableOutbox.Open(OutboxOptions);
        DeviceDescriptor[] known = [.. devices];
        var context = new UpstreamServiceContext
        {
            Bindings = bindings,
            InterworkingOptions = () => interworking is null
                ? new InterworkingOptions { ReadingsMaxInstances = 100_000 }
                : new InterworkingOptions
                {
                    ReadingsMaxInstances = 100_000,
                    PollTimeout = interworking.PollTimeout,
                    PointOfAccess = [.. interworking.PointOfAccess],
                },
            Actuator = Actuator,
            Outbox = OutboxOptions,
            KnownDevices = () => known,
            InFlightBound = inFlightBound,
            PrepareRetryInitial = TimeSpan.FromMilliseconds(50),
            PrepareRetryMax = TimeSpan.FromMilliseconds(200),
            Loggers = NullLoggerFactory.Instance,
        };
        Service = new UpstreamService(0, Policy(initial), Outbox.DefaultCursor, context);
    }

    public TestBindings Bindings { get; }

    public OutboxOptions OutboxOptions { get; }

    public DurableOutbox Outbox { get; }

    public UpstreamService Service { get; }

    public FakeActuator Actuator { get; } = new();

    public int Appended => Volatile.Read(ref _appended);

    /// <summary>Starts the service on <paramref name="initial"/> and waits until its tree is there (the initial prepare).</summary>
    public static async Task<SwapHarness> StartAsync(TestCse initial, TestBindings? bindings = null, InterworkingOptions? interworking = null,
        TimeSpan? inFlightBound = null, int batchSize = 8, IEnumerable<DeviceDescriptor>? devices = null)
    {
        var h = new SwapHarness(initial, bindings ?? new TestBindings(), interworking, inFlightBound ?? TimeSpan.FromSeconds(5), batchSize, devices ?? Devices);
        h._run = h.Service.RunAsync(h._cts.Token);
        await Until(() => (devices ?? Devices).All(d => initial.Find(MeasPath(d, 1)) is not null), "initial tree at the first platform");
        return h;
    }

    public static UpstreamPolicy Policy(TestCse cse, bool coap = false, PolicySource source = PolicySource.Operator)
        => new(ServiceName, new UpstreamEndpoint(coap ? cse.CoapBaseUrl : cse.BaseUrl, cse.CseId, cse.CseBaseName, "Cactivegate01"), source);

    public static string DevicePath(DeviceDescriptor d) => $"cse-in/ActiveGate01/{ResourceNames.Device(d.Kind, d.Id)}";

    public static string MeasPath(DeviceDescriptor d, int channel) => $"{DevicePath(d)}/ch{channel}/meas";

    public static string CmdPath(DeviceDescriptor d, int channel) => $"{DevicePath(d)}/ch{channel}/cmd";

    /// <summary>Appends reading number <see cref="Appended"/> (devices and channels round robin); returns its sequence.</summary>
    public Task<long> AppendAsync()
    {
        int i = Interlocked.Increment(ref _appended) - 1;
        DeviceDescriptor d = Devices[i % Devices.Length];
        int ch = (i / Devices.Length % d.Channels) + 1;
        return Outbox.AppendAsync(ReadingRecord.Encode(new Reading(d.Kind, d.Channels,
            new ChannelSample(d.Id, ch, 0, i, DateTimeOffset.UnixEpoch.AddSeconds(i), i, null, null, null, null))));
    }

    public async Task<List<long>> AppendAsync(int count)
    {
        var sequences = new List<long>(count);
        for (int k = 0; k < count; k++)
        {
            sequences.Add(await AppendAsync());
        }

        return sequences;
    }

    /// <summary>Outbox sequences of every reading stored at <paramref name="cse"/> (one entry per contentInstance).</summary>
    public static List<long> Stored(TestCse cse)
    {
        var result = new List<long>();
        foreach (DeviceDescriptor d in Devices)
        {
            for (int ch = 1; ch <= d.Channels; ch++)
            {
                result.AddRange(cse.ChildrenOf(MeasPath(d, ch), 4)
                    .Select(c => long.Parse(c.Rn[(c.Rn.LastIndexOf('-') + 1)..], CultureInfo.InvariantCulture)));
            }
        }

        return result;
    }

    /// <summary>The service has switched to <paramref name="cse"/> and has no swap pending.</summary>
    public bool SettledAt(TestCse cse)
        => Service.Current.Policy.SameTarget(Policy(cse)) && Service.Preparing is null && Service.Status.State == ServiceState.Active;

    public Task UntilDrained() => Until(() => Service.Cursor.GetStats().Depth == 0, "outbox drained");

    public static async Task Until(Func<bool> condition, string what, double seconds = 8)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(seconds), "timed out waiting for: " + what);
            await Task.Delay(5);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync();
        await Service.DisposeAsync();
        Outbox.Dispose();
        Bindings.Dispose();
        _cts.Dispose();
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException)
        {
        }
    }
}
