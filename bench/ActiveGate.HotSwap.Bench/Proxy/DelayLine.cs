using System.Buffers;
using System.Threading.Channels;

namespace ActiveGate.HotSwap.Bench.Proxy;

/// <summary>
/// One direction of one flow: chunks enter with the delivery time the <see cref="LinkShaper"/> gave them and leave in
/// the same order, each not before its time. A single sender task keeps the order; the bounded queue is the link's
/// buffer (a TCP reader waits when it is full, which is flow control; a UDP datagram is dropped, as a router would).
/// </summary>
internal sealed class DelayLine
{
    private readonly Channel<Chunk> _queue;
    private readonly LinkShaper _shaper;
    private readonly long _flow;
    private readonly FlowDirection _direction;
    private readonly IReadOnlyList<ITrafficObserver> _observers;
    private readonly Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> _send;
    private readonly Action? _end;

    /// <param name="send">Writes one chunk to the far side.</param>
    /// <param name="end">Called in order after the last chunk when the near side ended its stream (TCP half-close).</param>
    public DelayLine(LinkShaper shaper, int limit, long flow, FlowDirection direction, IReadOnlyList<ITrafficObserver> observers,
        Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> send, Action? end = null)
    {
        _queue = Channel.CreateBounded<Chunk>(new BoundedChannelOptions(limit) { SingleReader = true, SingleWriter = true });
        _shaper = shaper;
        _flow = flow;
        _direction = direction;
        _observers = observers;
        _send = send;
        _end = end;
    }

    /// <summary>Queues a rented buffer (returned to the pool once sent) that became available at <paramref name="readyAt"/>.</summary>
    public async ValueTask EnqueueAsync(byte[] rented, int length, long readyAt, CancellationToken cancellationToken)
    {
        var chunk = new Chunk(rented, length, _shaper.Schedule(length, readyAt));
        try
        {
            await _queue.Writer.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(rented);
            throw;
        }
    }

    /// <summary>Queues without waiting; false (and the buffer returned) when the queue is full.</summary>
    public bool TryEnqueue(byte[] rented, int length, long readyAt)
    {
        if (_queue.Writer.TryWrite(new Chunk(rented, length, _shaper.Schedule(length, readyAt))))
        {
            return true;
        }

        ArrayPool<byte>.Shared.Return(rented);
        return false;
    }

    /// <summary>The near side ended its stream: <c>end</c> runs after every queued chunk has been delivered.</summary>
    public async ValueTask EndAsync(long readyAt, CancellationToken cancellationToken)
    {
        await _queue.Writer.WriteAsync(new Chunk(null, 0, _shaper.Schedule(0, readyAt)), cancellationToken).ConfigureAwait(false);
        _queue.Writer.TryComplete();
    }

    public void Abort() => _queue.Writer.TryComplete();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (Chunk chunk in _queue.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await _shaper.WaitUntilAsync(chunk.DeliverAt, cancellationToken).ConfigureAwait(false);
                if (chunk.Buffer is null)
                {
                    _end?.Invoke();
                    continue;
                }

                try
                {
                    // Observed before it is written, not after: once written, the far side may answer, and that answer
                    // may be observed by the other direction's task before this one's observer ran (seen under load:
                    // a response arrived with no request waiting, was dropped, and every later exchange of that
                    // connection was paired one off). Before the write, cause is always observed before effect.
                    DateTimeOffset at = _shaper.TimeProvider.GetUtcNow();
                    foreach (ITrafficObserver observer in _observers)
                    {
                        observer.OnData(_flow, _direction, at, chunk.Buffer.AsSpan(0, chunk.Length));
                    }

                    await _send(chunk.Buffer.AsMemory(0, chunk.Length), cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(chunk.Buffer);
                }
            }
        }
        finally
        {
            // Whatever is still queued (an aborted flow) goes back to the pool.
            while (_queue.Reader.TryRead(out Chunk left))
            {
                if (left.Buffer is not null)
                {
                    ArrayPool<byte>.Shared.Return(left.Buffer);
                }
            }
        }
    }

    private readonly record struct Chunk(byte[]? Buffer, int Length, long DeliverAt);
}
