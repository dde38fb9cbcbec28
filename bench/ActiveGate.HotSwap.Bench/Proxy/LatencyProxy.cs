using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace ActiveGate.HotSwap.Bench.Proxy;

/// <summary>
/// A user-space TCP proxy on 127.0.0.1 that makes loopback look like a WAN link: every chunk is delayed by RTT/2 in
/// each direction behind a shared per-direction bandwidth cap (<see cref="LinkShaper"/>), byte order and stream
/// semantics kept, half-close passed on (FIN after the data before it). A target that is down closes the client's
/// connection with a reset. Each accepted connection gets its own connection to the target.
/// </summary>
public sealed class LatencyProxy : IAsyncDisposable
{
    private readonly LatencyProxyOptions _options;
    private readonly LinkShaper _up;
    private readonly LinkShaper _down;
    private readonly ITrafficObserver[] _observers;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _cts = new();
    private readonly ConcurrentDictionary<long, Task> _flows = new();
    private readonly Task _acceptLoop;
    private long _nextFlow;
    private int _disposed;

    /// <param name="observers">See every delivered chunk besides <see cref="Log"/> (e.g. an <see cref="HttpExchangeRecorder"/>).</param>
    public LatencyProxy(IPEndPoint target, LatencyProxyOptions options, params ITrafficObserver[] observers)
    {
        Target = target;
        _options = options;
        TimeSpan oneWay = options.RoundTrip / 2;
        _up = new LinkShaper(oneWay, options.BitsPerSecond, options.TimeProvider);
        _down = new LinkShaper(oneWay, options.BitsPerSecond, options.TimeProvider);
        _observers = [Log, .. observers];
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(512);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>Where new connections go; changing it leaves open connections where they are.</summary>
    public IPEndPoint Target { get; set; }

    public IPEndPoint EndPoint { get; }

    public int Port => EndPoint.Port;

    public TrafficLog Log { get; } = new();

    /// <summary>Connections currently open.</summary>
    public int OpenFlows => _flows.Count;

    private async Task AcceptLoopAsync()
    {
        while (!_cts.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_cts.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            long id = Interlocked.Increment(ref _nextFlow);
            // Registered before it runs so that dispose, which snapshots the set, cannot miss it.
            var start = new TaskCompletionSource();
            Task flow = RunFlowAsync(client, id, start.Task);
            _flows[id] = flow;
            start.SetResult();
            _ = flow.ContinueWith(_ => _flows.TryRemove(id, out Task? _), TaskScheduler.Default);
        }
    }

    private async Task RunFlowAsync(Socket client, long id, Task started)
    {
        await started.ConfigureAwait(false);
        TimeProvider tp = _options.TimeProvider;
        long acceptedAt = tp.GetTimestamp();
        long readyAt = _options.ModelHandshake ? acceptedAt + (long)(_options.RoundTrip.TotalSeconds * tp.TimestampFrequency) : acceptedAt;
        client.NoDelay = true;
        var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var flowCts = CancellationTokenSource.CreateLinkedTokenSource(_cts.Token);
        try
        {
            try
            {
                using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(flowCts.Token);
                connectTimeout.CancelAfter(TimeSpan.FromSeconds(5));
                await upstream.ConnectAsync(Target, connectTimeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                Log.ConnectFailed();
                // The client learns of it when a real handshake would have failed.
                await _up.WaitUntilAsync(readyAt, _cts.Token).ConfigureAwait(false);
                Reset(client);
                return;
            }

            foreach (ITrafficObserver o in _observers)
            {
                o.OnOpened(id, tp.GetUtcNow());
            }

            Task up = PumpAsync(client, upstream, FlowDirection.Upstream, _up, readyAt, id, flowCts.Token);
            Task down = PumpAsync(upstream, client, FlowDirection.Downstream, _down, 0, id, flowCts.Token);
            Task first = await Task.WhenAny(up, down).ConfigureAwait(false);
            if (first.IsFaulted || first.IsCanceled)
            {
                // A reset or an error on one side: reset the other rather than let it wait for data that will not come.
                await flowCts.CancelAsync().ConfigureAwait(false);
                Reset(client);
                Reset(upstream);
            }

            await Task.WhenAll(up, down).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            Reset(client);
            Reset(upstream);
        }
        finally
        {
            foreach (ITrafficObserver o in _observers)
            {
                o.OnClosed(id, tp.GetUtcNow());
            }

            client.Dispose();
            upstream.Dispose();
        }
    }

    /// <summary>Reads <paramref name="from"/> into a delay line that writes to <paramref name="to"/>; ends with a half-close of <paramref name="to"/>.</summary>
    private async Task PumpAsync(Socket from, Socket to, FlowDirection direction, LinkShaper shaper, long readyAt, long id, CancellationToken cancellationToken)
    {
        var line = new DelayLine(shaper, _options.QueueLimit, id, direction, _observers,
            async (chunk, ct) =>
            {
                while (!chunk.IsEmpty)
                {
                    int n = await to.SendAsync(chunk, SocketFlags.None, ct).ConfigureAwait(false);
                    chunk = chunk[n..];
                }
            },
            () => HalfClose(to));
        Task sender = line.RunAsync(cancellationToken);
        Task reading = ReadIntoAsync(from, line, readyAt, cancellationToken);
        if (await Task.WhenAny(reading, sender).ConfigureAwait(false) == sender && !sender.IsCompletedSuccessfully)
        {
            // The far side failed: the flow is torn down, which cancels the read; observe it so its error goes nowhere.
            _ = reading.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            await sender.ConfigureAwait(false);
        }

        try
        {
            await reading.ConfigureAwait(false);
        }
        finally
        {
            // After a read error the line still delivers what it holds (it was completed), then ends.
            await sender.ConfigureAwait(false);
        }
    }

    private async Task ReadIntoAsync(Socket from, DelayLine line, long readyAt, CancellationToken cancellationToken)
    {
        TimeProvider tp = _options.TimeProvider;
        try
        {
            while (true)
            {
                byte[] buffer = ArrayPool<byte>.Shared.Rent(_options.ChunkSize);
                int n;
                try
                {
                    n = await from.ReceiveAsync(buffer.AsMemory(0, _options.ChunkSize), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    throw;
                }

                long now = Math.Max(tp.GetTimestamp(), readyAt);
                if (n == 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    await line.EndAsync(now, cancellationToken).ConfigureAwait(false);
                    return;
                }

                await line.EnqueueAsync(buffer, n, now, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            line.Abort();
            throw;
        }
    }

    private static void HalfClose(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // The peer is gone already; its reader sees that on its own.
        }
    }

    private static void Reset(Socket socket)
    {
        try
        {
            // Linger 0: close sends RST, so the peer sees the failure instead of a clean end of stream.
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }
    }

    /// <summary>Stops accepting, resets every open connection and waits for their tasks.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _cts.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        await Task.WhenAll(_flows.Values).ConfigureAwait(false);
        _cts.Dispose();
    }
}
