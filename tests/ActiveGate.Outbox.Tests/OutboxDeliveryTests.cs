using System.Text;
using ActiveGate.Outbox;
using Microsoft.Extensions.Time.Testing;

namespace ActiveGate.Outbox.Tests;

public sealed class OutboxDeliveryTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));

    public void Dispose() => _dir.Dispose();

    private OutboxOptions Options() => new()
    {
        Directory = _dir.Path,
        DeliveryBatchSize = 16,
        RetryInitialDelay = TimeSpan.FromSeconds(1),
        RetryMaxDelay = TimeSpan.FromSeconds(30),
        UnsafeSkipFsync = true, // delivery logic only; durability is covered in DurableOutboxTests
    };

    /// <summary>Records what it stored; fails the first N attempts; can reject chosen payloads.</summary>
    private sealed class FakeSender : IOutboxSender
    {
        private readonly Lock _gate = new();

        public int FailuresLeft { get; set; }

        public int FailAfter { get; set; } = int.MaxValue;

        public Func<string, bool> Reject { get; set; } = _ => false;

        public List<string> Stored { get; } = [];

        public int Attempts { get; private set; }

        public TaskCompletionSource Progress { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask SendAsync(IReadOnlyList<OutboxEntry> batch, DeliveryOutcome[] outcomes, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                Attempts++;
                for (int i = 0; i < batch.Count; i++)
                {
                    string text = Encoding.UTF8.GetString(batch[i].Payload.Span);
                    if (FailuresLeft > 0 || Stored.Count >= FailAfter)
                    {
                        FailuresLeft = Math.Max(0, FailuresLeft - 1);
                        outcomes[i] = DeliveryOutcome.RetryLater;
                        break;
                    }

                    if (Reject(text))
                    {
                        outcomes[i] = DeliveryOutcome.Rejected;
                        continue;
                    }

                    // Idempotent by name, like the CSE: storing twice is visible in Stored.
                    Stored.Add(text);
                    outcomes[i] = DeliveryOutcome.Delivered;
                }

                TaskCompletionSource done = Progress;
                Progress = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                done.TrySetResult();
            }

            return ValueTask.CompletedTask;
        }
    }

    private static async Task<long[]> AppendAll(DurableOutbox outbox, int from, int to)
    {
        var seqs = new List<long>();
        for (int i = from; i <= to; i++)
        {
            seqs.Add(await outbox.AppendAsync(Encoding.UTF8.GetBytes($"r{i}")));
        }

        return [.. seqs];
    }

    /// <summary>Advances fake time in steps until the condition holds (delivery waits on fake-time back-off).</summary>
    private async Task Until(Func<bool> condition, FakeSender sender)
    {
        for (int i = 0; i < 2000 && !condition(); i++)
        {
            Task progress = sender.Progress.Task;
            _time.Advance(TimeSpan.FromMilliseconds(500));
            await Task.WhenAny(progress, Task.Delay(5));
        }

        Assert.True(condition());
    }

    [Fact]
    public async Task Outage_then_recovery_delivers_everything_in_order_exactly_once()
    {
        using var outbox = DurableOutbox.Open(Options(), _time);
        var sender = new FakeSender { FailuresLeft = 7 };
        var delivery = new OutboxDelivery(outbox, sender, Options(), _time);
        using var cts = new CancellationTokenSource();
        Task run = delivery.RunAsync(cts.Token);

        await AppendAll(outbox, 1, 100);
        await Until(() => sender.Stored.Count == 100, sender);
        Assert.Equal(Enumerable.Range(1, 100).Select(i => $"r{i}"), sender.Stored);
        Assert.True(sender.Attempts >= 8);
        OutboxStats stats = outbox.GetStats();
        Assert.Equal(0, stats.Depth);
        Assert.Equal(100, stats.Delivered);
        Assert.Equal(0, stats.Dropped);
        Assert.Equal(0, delivery.ConsecutiveFailures);
        await cts.CancelAsync();
        await run;
    }

    [Fact]
    public async Task A_trickle_waits_up_to_the_linger_and_goes_up_as_one_batch_but_a_full_batch_goes_at_once()
    {
        OutboxOptions options = Options();
        options.DeliveryLinger = TimeSpan.FromSeconds(1);
        using var outbox = DurableOutbox.Open(options, _time);
        var sender = new FakeSender();
        var delivery = new OutboxDelivery(outbox, sender, options, _time);
        using var cts = new CancellationTokenSource();
        Task run = delivery.RunAsync(cts.Token);

        await AppendAll(outbox, 1, 3);
        await Task.Delay(100);
        Assert.Empty(sender.Stored); // lingering: the oldest has waited 0 of 1 s
        _time.Advance(TimeSpan.FromMilliseconds(600));
        await AppendAll(outbox, 4, 5);
        await Task.Delay(100);
        Assert.Empty(sender.Stored);
        Task progress = sender.Progress.Task;
        _time.Advance(TimeSpan.FromMilliseconds(400)); // the oldest reaches 1 s: all five go together
        await progress.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(Enumerable.Range(1, 5).Select(i => $"r{i}"), sender.Stored);
        Assert.Equal(1, sender.Attempts);

        // Under load (a full batch waiting) nothing lingers: no time passes and it is delivered.
        progress = sender.Progress.Task;
        await AppendAll(outbox, 6, 6 + options.DeliveryBatchSize - 1);
        await progress.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(5 + options.DeliveryBatchSize, sender.Stored.Count);
        await cts.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Backoff_doubles_and_is_capped()
    {
        using var outbox = DurableOutbox.Open(Options(), _time);
        var attemptTimes = new List<DateTimeOffset>();
        var sender = new FakeSender { FailuresLeft = int.MaxValue };
        var delivery = new OutboxDelivery(outbox, sender, Options(), _time);
        using var cts = new CancellationTokenSource();
        await AppendAll(outbox, 1, 1);
        Task run = delivery.RunAsync(cts.Token);
        int seen = 0;
        for (int i = 0; i < 2000 && attemptTimes.Count < 8; i++)
        {
            if (sender.Attempts > seen)
            {
                seen = sender.Attempts;
                attemptTimes.Add(_time.GetUtcNow());
            }

            _time.Advance(TimeSpan.FromMilliseconds(250));
            await Task.Delay(3);
        }

        // Gaps between attempts: 1, 2, 4, 8, 16, then capped at 30 s (± the 250 ms stepping).
        double[] gaps = [.. attemptTimes.Zip(attemptTimes.Skip(1), (a, b) => (b - a).TotalSeconds)];
        Assert.Equal(7, gaps.Length);
        double[] expected = [1, 2, 4, 8, 16, 30, 30];
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.InRange(gaps[i], expected[i] - 0.01, expected[i] + 0.75);
        }

        await cts.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Partial_batch_failure_resumes_at_the_failed_entry()
    {
        using var outbox = DurableOutbox.Open(Options(), _time);
        var sender = new FakeSender { FailAfter = 5 };
        var delivery = new OutboxDelivery(outbox, sender, Options(), _time);
        using var cts = new CancellationTokenSource();
        await AppendAll(outbox, 1, 10);
        Task run = delivery.RunAsync(cts.Token);
        await Until(() => sender.Attempts >= 2, sender);
        Assert.Equal(5, sender.Stored.Count);
        Assert.Equal(5, outbox.GetStats().Depth);
        sender.FailAfter = int.MaxValue;
        await Until(() => sender.Stored.Count == 10, sender);
        Assert.Equal(Enumerable.Range(1, 10).Select(i => $"r{i}"), sender.Stored);
        await cts.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Rejected_records_are_counted_and_do_not_block()
    {
        using var outbox = DurableOutbox.Open(Options(), _time);
        var sender = new FakeSender { Reject = t => t == "r3" };
        var logger = new CapturingLogger<OutboxDelivery>();
        var delivery = new OutboxDelivery(outbox, sender, Options(), _time, logger);
        using var cts = new CancellationTokenSource();
        Task run = delivery.RunAsync(cts.Token);
        await AppendAll(outbox, 1, 5);
        await Until(() => outbox.GetStats().Depth == 0, sender);
        Assert.Equal(["r1", "r2", "r4", "r5"], sender.Stored);
        Assert.Equal(1, outbox.GetStats().Rejected);
        Assert.Contains(logger.Warnings, w => w.Contains("permanently refused", StringComparison.Ordinal));
        await cts.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Crash_during_outage_then_restart_delivers_the_rest_without_loss()
    {
        var firstSender = new FakeSender();
        using (var outbox = DurableOutbox.Open(Options(), _time))
        {
            var delivery = new OutboxDelivery(outbox, firstSender, Options(), _time);
            using var cts = new CancellationTokenSource();
            Task run = delivery.RunAsync(cts.Token);
            await AppendAll(outbox, 1, 20);
            await Until(() => firstSender.Stored.Count == 20, firstSender);
            firstSender.FailuresLeft = int.MaxValue; // the platform goes away
            await AppendAll(outbox, 21, 40);
            await cts.CancelAsync();
            await run;
        }

        var secondSender = new FakeSender();
        using (var outbox = DurableOutbox.Open(Options(), _time))
        {
            Assert.Equal(20, outbox.GetStats().Depth);
            var delivery = new OutboxDelivery(outbox, secondSender, Options(), _time);
            using var cts = new CancellationTokenSource();
            Task run = delivery.RunAsync(cts.Token);
            await Until(() => secondSender.Stored.Count == 20, secondSender);
            await cts.CancelAsync();
            await run;
        }

        Assert.Equal(Enumerable.Range(1, 40).Select(i => $"r{i}"), firstSender.Stored.Concat(secondSender.Stored));
    }

    [Fact]
    public async Task Delivered_rate_is_reported()
    {
        using var outbox = DurableOutbox.Open(Options(), _time);
        var sender = new FakeSender();
        var delivery = new OutboxDelivery(outbox, sender, Options(), _time);
        using var cts = new CancellationTokenSource();
        Task run = delivery.RunAsync(cts.Token);
        for (int second = 0; second < 5; second++)
        {
            await AppendAll(outbox, (second * 10) + 1, (second * 10) + 10);
            await Until(() => outbox.GetStats().Depth == 0, sender);
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        double rate = outbox.GetStats().DeliveredPerSecond;
        Assert.InRange(rate, 5, 15);
        await cts.CancelAsync();
        await run;
    }
}
