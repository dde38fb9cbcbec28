using System.Text;

namespace ActiveGate.Outbox.Tests;

/// <summary>Several readers (one per upstream service) of one durable log.</summary>
public sealed class OutboxCursorTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private OutboxOptions Options(Action<OutboxOptions>? tweak = null)
    {
        var o = new OutboxOptions { Directory = _dir.Path, SegmentBytes = 4096, CursorPersistInterval = TimeSpan.FromHours(1) };
        tweak?.Invoke(o);
        return o;
    }

    private static byte[] P(int i) => Encoding.UTF8.GetBytes($"reading-{i:D5}-" + new string('x', 100));

    private static List<long> Peek(OutboxCursor cursor, int max = int.MaxValue)
    {
        var list = new List<OutboxEntry>();
        cursor.PeekBatch(max, list);
        return [.. list.Select(e => e.Sequence)];
    }

    private int SegmentCount() => Directory.GetFiles(_dir.Path, "*.seg").Length;

    [Fact]
    public async Task A_second_reader_gets_what_is_accepted_after_it_opened_at_its_own_pace()
    {
        using var outbox = DurableOutbox.Open(Options());
        for (int i = 1; i <= 5; i++)
        {
            await outbox.AppendAsync(P(i));
        }

        OutboxCursor second = outbox.OpenCursor("platform-b");
        Assert.Empty(Peek(second));
        for (int i = 6; i <= 10; i++)
        {
            await outbox.AppendAsync(P(i));
        }

        Assert.Equal([6, 7, 8, 9, 10], Peek(second));
        Assert.Equal(10, Peek(outbox.DefaultCursor).Count);

        second.Acknowledge(8, delivered: 3);
        Assert.Equal([9, 10], Peek(second));
        Assert.Equal(10, Peek(outbox.DefaultCursor).Count); // the other reader still has all of its own
        Assert.Equal(2, second.GetStats().Depth);
        Assert.Equal(3, second.GetStats().Delivered);
        Assert.Equal(0, outbox.GetStats().Delivered);
    }

    [Fact]
    public async Task Segments_stay_until_every_reader_has_persisted_past_them_and_positions_survive_reopen()
    {
        using (var outbox = DurableOutbox.Open(Options()))
        {
            OutboxCursor b = outbox.OpenCursor("b", startAt: 0);
            for (int i = 1; i <= 200; i++)
            {
                await outbox.AppendAsync(P(i));
            }

            Assert.True(SegmentCount() > 3);
            int before = SegmentCount();
            outbox.Acknowledge(200, 200);
            outbox.PersistCursor();
            Assert.Equal(before, SegmentCount()); // b still needs them
            Assert.Equal(200, Peek(b).Count);

            b.Acknowledge(150, 150);
            b.PersistCursor();
            Assert.True(SegmentCount() < before);
        }

        using (var outbox = DurableOutbox.Open(Options()))
        {
            OutboxCursor b = Assert.Single(outbox.Cursors, c => c.Name == "b");
            Assert.Equal(Enumerable.Range(151, 50).Select(i => (long)i), Peek(b));
            Assert.Empty(Peek(outbox.DefaultCursor));
            Assert.Equal(201, await outbox.AppendAsync(P(201)));
        }
    }

    [Fact]
    public async Task Removing_a_reader_releases_what_only_it_held()
    {
        using var outbox = DurableOutbox.Open(Options());
        OutboxCursor b = outbox.OpenCursor("b", startAt: 0);
        for (int i = 1; i <= 100; i++)
        {
            await outbox.AppendAsync(P(i));
        }

        outbox.Acknowledge(100, 100);
        outbox.PersistCursor();
        Assert.True(outbox.GetStats().PendingBytes > 0);
        outbox.RemoveCursor(b);
        Assert.Equal(0, outbox.GetStats().PendingBytes);
        Assert.False(File.Exists(Path.Combine(_dir.Path, "cursor.b")));
        Assert.Throws<InvalidOperationException>(() => outbox.RemoveCursor(outbox.DefaultCursor));
        Assert.Throws<ArgumentException>(() => outbox.OpenCursor("../escape"));
    }

    [Fact]
    public async Task The_size_bound_drops_for_every_reader_and_counts_per_reader()
    {
        using var outbox = DurableOutbox.Open(Options(o => o.MaxBytes = 8192));
        OutboxCursor b = outbox.OpenCursor("b", startAt: 0);
        for (int i = 1; i <= 40; i++)
        {
            await outbox.AppendAsync(P(i));
        }

        b.Acknowledge(30, 30);
        for (int i = 41; i <= 200; i++)
        {
            await outbox.AppendAsync(P(i));
        }

        OutboxCursorStats a = outbox.DefaultCursor.GetStats();
        OutboxCursorStats bs = b.GetStats();
        Assert.True(a.Dropped > bs.Dropped, $"default dropped {a.Dropped}, b dropped {bs.Dropped}");
        Assert.True(outbox.GetStats().PendingBytes <= 8192);
        Assert.Equal(a.Depth, bs.Depth); // both now start at the oldest record still held
        Assert.Equal(200, Peek(b).Last());
    }

    [Fact]
    public async Task While_a_swap_is_pending_every_acknowledgement_is_persisted_at_once()
    {
        using var outbox = DurableOutbox.Open(Options());
        for (int i = 1; i <= 10; i++)
        {
            await outbox.AppendAsync(P(i));
        }

        OutboxCursor cursor = outbox.DefaultCursor;
        cursor.Acknowledge(3, 3);
        Assert.Equal(0, cursor.File.Sequence); // within the persist interval: not yet on disk
        cursor.PersistEveryAcknowledgement = true;
        cursor.Acknowledge(4, 1);
        Assert.Equal(4, cursor.File.Sequence);
        Assert.Equal(4, cursor.Position);
    }

    [Fact]
    public async Task A_reader_that_opens_before_records_it_can_no_longer_read_starts_at_the_oldest_held()
    {
        using var outbox = DurableOutbox.Open(Options());
        for (int i = 1; i <= 10; i++)
        {
            await outbox.AppendAsync(P(i));
        }

        outbox.Acknowledge(6, 6);
        OutboxCursor late = outbox.OpenCursor("late", startAt: 0);
        Assert.Equal([7, 8, 9, 10], Peek(late));
    }

    [Fact]
    public async Task Delivery_of_one_reader_does_not_move_another()
    {
        using var outbox = DurableOutbox.Open(Options(o => o.UnsafeSkipFsync = true));
        OutboxCursor b = outbox.OpenCursor("b");
        var sender = new CountingSender();
        var delivery = new OutboxDelivery(b, sender, Options());
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        Task run = delivery.RunAsync(cts.Token);
        for (int i = 1; i <= 50; i++)
        {
            await outbox.AppendAsync(P(i));
        }

        while (b.GetStats().Delivered < 50)
        {
            await Task.Delay(10, cts.Token);
        }

        await cts.CancelAsync();
        await run;
        Assert.Equal(50, sender.Count);
        Assert.Equal(50, outbox.DefaultCursor.GetStats().Depth);
    }

    private sealed class CountingSender : IOutboxSender
    {
        public int Count { get; private set; }

        public ValueTask SendAsync(IReadOnlyList<OutboxEntry> batch, DeliveryOutcome[] outcomes, CancellationToken cancellationToken)
        {
            for (int i = 0; i < batch.Count; i++)
            {
                outcomes[i] = DeliveryOutcome.Delivered;
                Count++;
            }

            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>Stopping the delivery loop while a batch is in flight.</summary>
public sealed class OutboxDeliveryStopTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Stopping_lets_the_batch_in_flight_finish_and_acknowledges_it()
    {
        var options = new OutboxOptions { Directory = _dir.Path, UnsafeSkipFsync = true };
        using var outbox = DurableOutbox.Open(options);
        for (int i = 1; i <= 5; i++)
        {
            await outbox.AppendAsync(Encoding.UTF8.GetBytes($"r{i}"));
        }

        var sender = new SlowSender(TimeSpan.FromMilliseconds(500));
        using var stop = new CancellationTokenSource();
        Task run = new OutboxDelivery(outbox, sender, options).RunAsync(stop.Token);
        await sender.Started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await stop.CancelAsync(); // while the platform is storing the batch
        await run.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(5, sender.Stored);
        Assert.Equal(5, outbox.DefaultCursor.Position); // acknowledged: a restart will not send them again
    }

    private sealed class SlowSender(TimeSpan latency) : IOutboxSender
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Stored { get; private set; }

        public async ValueTask SendAsync(IReadOnlyList<OutboxEntry> batch, DeliveryOutcome[] outcomes, CancellationToken cancellationToken)
        {
            Started.TrySetResult();
            await Task.Delay(latency, cancellationToken);
            for (int i = 0; i < batch.Count; i++)
            {
                outcomes[i] = DeliveryOutcome.Delivered;
                Stored++;
            }
        }
    }
}

/// <summary>A batch that failed part way: what was delivered beyond the failure is not sent again.</summary>
public sealed class OutboxDeliveryAheadTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Readings_delivered_beyond_a_failed_one_are_not_sent_again_only_the_failed_one_is()
    {
        var options = new OutboxOptions { Directory = _dir.Path, UnsafeSkipFsync = true, RetryInitialDelay = TimeSpan.FromMilliseconds(50) };
        using var outbox = DurableOutbox.Open(options);
        for (int i = 1; i <= 6; i++)
        {
            await outbox.AppendAsync(Encoding.UTF8.GetBytes($"r{i}"));
        }

        // First attempt: r3 fails (its channel's platform hiccups), the others are stored. After a swap, r4..r6 would be
        // stored at a second platform if they were sent again.
        var sender = new PartlyFailingSender(failOnce: 3);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        Task run = new OutboxDelivery(outbox, sender, options).RunAsync(stop.Token);
        while (outbox.DefaultCursor.Position < 6)
        {
            await Task.Delay(10, stop.Token);
        }

        await stop.CancelAsync();
        await run;
        Assert.Equal([1, 2, 3, 4, 5, 6, 3], sender.Sent);
        Assert.Equal(6, outbox.GetStats().Delivered);
    }

    private sealed class PartlyFailingSender(long failOnce) : IOutboxSender
    {
        private bool _failed;

        public List<long> Sent { get; } = [];

        public ValueTask SendAsync(IReadOnlyList<OutboxEntry> batch, DeliveryOutcome[] outcomes, CancellationToken cancellationToken)
        {
            for (int i = 0; i < batch.Count; i++)
            {
                Sent.Add(batch[i].Sequence);
                bool fail = batch[i].Sequence == failOnce && !_failed;
                _failed |= fail;
                outcomes[i] = fail ? DeliveryOutcome.RetryLater : DeliveryOutcome.Delivered;
            }

            return ValueTask.CompletedTask;
        }
    }
}
