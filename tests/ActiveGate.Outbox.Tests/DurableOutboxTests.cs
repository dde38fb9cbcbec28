using System.Text;
using ActiveGate.Outbox;
using Microsoft.Extensions.Time.Testing;

namespace ActiveGate.Outbox.Tests;

public sealed class DurableOutboxTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private OutboxOptions Options(Action<OutboxOptions>? tweak = null)
    {
        var o = new OutboxOptions { Directory = _dir.Path };
        tweak?.Invoke(o);
        return o;
    }

    private static byte[] P(int i) => Encoding.UTF8.GetBytes($"reading-{i:D5}");

    private static List<OutboxEntry> All(DurableOutbox outbox)
    {
        var list = new List<OutboxEntry>();
        outbox.PeekBatch(int.MaxValue, list);
        return list;
    }

    private static string Text(OutboxEntry e) => Encoding.UTF8.GetString(e.Payload.Span);

    private string LastSegment() => Directory.GetFiles(_dir.Path, "*.seg").Order(StringComparer.Ordinal).Last();

    [Fact]
    public async Task Append_returns_sequence_and_records_survive_reopen_in_order()
    {
        using (var outbox = DurableOutbox.Open(Options()))
        {
            for (int i = 1; i <= 20; i++)
            {
                Assert.Equal(i, await outbox.AppendAsync(P(i)));
            }
        }

        using (var outbox = DurableOutbox.Open(Options()))
        {
            List<OutboxEntry> all = All(outbox);
            Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), all.Select(e => e.Sequence));
            Assert.Equal(Enumerable.Range(1, 20).Select(i => $"reading-{i:D5}"), all.Select(Text));
            Assert.Equal(21, await outbox.AppendAsync(P(21)));
            Assert.Equal(0, outbox.GetStats().TruncatedBytesAtOpen);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(10)]
    [InlineData(23)]
    [InlineData(30)]
    public async Task Torn_tail_is_truncated_and_appends_continue(int tornBytes)
    {
        using (var outbox = DurableOutbox.Open(Options()))
        {
            for (int i = 1; i <= 10; i++)
            {
                await outbox.AppendAsync(P(i));
            }
        }

        // Simulate a crash mid-write: the start of a record that never completed.
        byte[] partial = new byte[OutboxRecordFormat.RecordSize(P(11).Length)];
        OutboxRecordFormat.WriteRecord(partial, 11, 0, P(11));
        await using (var f = new FileStream(LastSegment(), FileMode.Append))
        {
            await f.WriteAsync(partial.AsMemory(0, Math.Min(tornBytes, partial.Length - 1)));
        }

        using (var outbox = DurableOutbox.Open(Options()))
        {
            Assert.Equal(10, All(outbox).Count);
            Assert.Equal(Math.Min(tornBytes, partial.Length - 1), outbox.GetStats().TruncatedBytesAtOpen);
            Assert.Equal(11, await outbox.AppendAsync(P(11)));
        }

        using (var outbox = DurableOutbox.Open(Options()))
        {
            Assert.Equal(Enumerable.Range(1, 11).Select(i => $"reading-{i:D5}"), All(outbox).Select(Text));
            Assert.Equal(0, outbox.GetStats().TruncatedBytesAtOpen);
        }
    }

    [Fact]
    public async Task Garbage_and_corruption_are_truncated_never_fatal()
    {
        using (var outbox = DurableOutbox.Open(Options()))
        {
            for (int i = 1; i <= 10; i++)
            {
                await outbox.AppendAsync(P(i));
            }
        }

        // Flip a payload byte of record 6: records 6..10 are cut, 1..5 survive.
        string seg = LastSegment();
        byte[] bytes = await File.ReadAllBytesAsync(seg);
        int recordSize = OutboxRecordFormat.RecordSize(P(1).Length);
        bytes[OutboxRecordFormat.SegmentHeaderSize + (5 * recordSize) + OutboxRecordFormat.RecordHeaderSize + 2] ^= 0x40;
        await File.WriteAllBytesAsync(seg, [.. bytes, .. "random garbage after the tail"u8.ToArray()]);
        var logger = new CapturingLogger<DurableOutbox>();
        using (var outbox = DurableOutbox.Open(Options(), logger: logger))
        {
            Assert.Equal(5, All(outbox).Count);
            Assert.Contains(logger.Warnings, w => w.Contains("corrupt record", StringComparison.Ordinal));
            Assert.Equal(6, await outbox.AppendAsync(P(6)));
        }

        Assert.Equal(OutboxRecordFormat.SegmentHeaderSize + (6 * recordSize), new FileInfo(seg).Length);
    }

    [Fact]
    public async Task Torn_segment_header_and_foreign_file_do_not_prevent_open()
    {
        using (var outbox = DurableOutbox.Open(Options(o => o.SegmentBytes = 4096)))
        {
            await outbox.AppendAsync(P(1));
        }

        await File.WriteAllBytesAsync(Path.Combine(_dir.Path, "00000000000000000099.seg"), [0x41, 0x47, 0x4F]);
        await File.WriteAllBytesAsync(Path.Combine(_dir.Path, "00000000000000000100.seg"), new byte[64]);
        using var reopened = DurableOutbox.Open(Options(o => o.SegmentBytes = 4096));
        Assert.Single(All(reopened));
        Assert.False(File.Exists(Path.Combine(_dir.Path, "00000000000000000099.seg")));
        Assert.True(File.Exists(Path.Combine(_dir.Path, "00000000000000000100.seg.corrupt")));
        Assert.Equal(2, await reopened.AppendAsync(P(2)));
    }

    [Fact]
    public async Task Cursor_persists_and_delivered_segments_are_deleted()
    {
        var time = new FakeTimeProvider();
        OutboxOptions options = Options(o => o.SegmentBytes = 4096);
        using (var outbox = DurableOutbox.Open(options, time))
        {
            for (int i = 1; i <= 500; i++)
            {
                await outbox.AppendAsync(P(i));
            }

            Assert.True(outbox.GetStats().Segments > 3);
            outbox.Acknowledge(480, delivered: 480);
            outbox.PersistCursor();
            Assert.Equal(20, outbox.GetStats().Depth);
            Assert.Single(Directory.GetFiles(_dir.Path, "*.seg"));
        }

        using (var outbox = DurableOutbox.Open(options, time))
        {
            List<OutboxEntry> rest = All(outbox);
            Assert.Equal(481, rest[0].Sequence);
            Assert.Equal(20, rest.Count);
            Assert.Equal(501, await outbox.AppendAsync(P(501)));
        }
    }

    [Fact]
    public async Task Fully_delivered_outbox_keeps_sequence_numbers_monotonic_after_reopen()
    {
        using (var outbox = DurableOutbox.Open(Options(o => o.SegmentBytes = 4096)))
        {
            for (int i = 1; i <= 300; i++)
            {
                await outbox.AppendAsync(P(i));
            }

            outbox.Acknowledge(300, 300);
        }

        using var reopened = DurableOutbox.Open(Options(o => o.SegmentBytes = 4096));
        Assert.Empty(All(reopened));
        Assert.Equal(301, await reopened.AppendAsync(P(301)));
    }

    [Fact]
    public async Task Size_bound_drops_oldest_with_counter_and_warning()
    {
        var logger = new CapturingLogger<DurableOutbox>();
        int recordSize = OutboxRecordFormat.RecordSize(P(1).Length);
        using var outbox = DurableOutbox.Open(Options(o => { o.MaxBytes = 8192; o.SegmentBytes = 4096; }), logger: logger);
        for (int i = 1; i <= 1000; i++)
        {
            await outbox.AppendAsync(P(i));
        }

        OutboxStats stats = outbox.GetStats();
        Assert.True(stats.PendingBytes <= 8192);
        Assert.True(stats.Dropped > 0);
        Assert.Equal(1000, stats.Depth + stats.Dropped);
        List<OutboxEntry> left = All(outbox);
        Assert.Equal(1000, left[^1].Sequence);
        Assert.Equal(Enumerable.Range((int)left[0].Sequence, left.Count).Select(i => (long)i), left.Select(e => e.Sequence));
        Assert.Contains(logger.Warnings, w => w.Contains("dropped", StringComparison.Ordinal) && w.Contains("MaxBytes", StringComparison.Ordinal));
        Assert.True(stats.Depth * recordSize <= 8192);
    }

    [Fact]
    public async Task Age_bound_drops_old_records()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));
        var logger = new CapturingLogger<DurableOutbox>();
        using var outbox = DurableOutbox.Open(Options(o => o.MaxAge = TimeSpan.FromDays(7)), time, logger);
        await outbox.AppendAsync(P(1));
        await outbox.AppendAsync(P(2));
        time.Advance(TimeSpan.FromDays(6));
        await outbox.AppendAsync(P(3));
        Assert.Equal(TimeSpan.FromDays(6), outbox.GetStats().OldestAge);
        time.Advance(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));
        outbox.EnforceBounds();
        OutboxStats stats = outbox.GetStats();
        Assert.Equal(2, stats.Dropped);
        Assert.Equal(3, Assert.Single(All(outbox)).Sequence);
        Assert.Contains(logger.Warnings, w => w.Contains("older than", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Concurrent_appends_are_group_committed_with_unique_ordered_sequences()
    {
        using var outbox = DurableOutbox.Open(Options());
        long[] seqs = await Task.WhenAll(Enumerable.Range(1, 400).Select(i => Task.Run(() => outbox.AppendAsync(P(i)))));
        Assert.Equal(Enumerable.Range(1, 400).Select(i => (long)i), seqs.Order());
        List<OutboxEntry> all = All(outbox);
        Assert.Equal(seqs.Order(), all.Select(e => e.Sequence));
        // Each payload is stored under the sequence its append returned.
        var bySeq = all.ToDictionary(e => e.Sequence, Text);
        Assert.Equal(400, bySeq.Values.Distinct().Count());
    }

    [Fact]
    public async Task A_trickle_of_appends_shares_fsyncs_within_the_window_and_each_is_durable_in_bounded_time()
    {
        TimeSpan window = TimeSpan.FromMilliseconds(100);
        using var outbox = DurableOutbox.Open(Options(o => o.GroupCommitWindow = window));
        var latencies = new List<TimeSpan>();
        var appends = new List<Task<long>>();
        // 40 appends 20 ms apart, as readings arrive from the mesh: ~5 per window.
        for (int i = 1; i <= 40; i++)
        {
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            Task<long> append = outbox.AppendAsync(P(i));
            appends.Add(append);
            _ = append.ContinueWith(_ => { lock (latencies) { latencies.Add(System.Diagnostics.Stopwatch.GetElapsedTime(started)); } }, TaskScheduler.Default);
            await Task.Delay(20);
        }

        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), await Task.WhenAll(appends));
        OutboxStats stats = outbox.GetStats();
        Assert.Equal(40, stats.Appended);
        Assert.InRange(stats.Commits, 2, 20); // batched, not one fsync per append
        await Task.Delay(50);
        lock (latencies)
        {
            // Bounded: one window plus fsyncs (generous for a loaded CI machine), never unbounded.
            Assert.All(latencies, l => Assert.True(l < window + TimeSpan.FromSeconds(1), $"append took {l}"));
        }

        // After the trickle stops the writer goes idle; a later single append is still committed promptly.
        await Task.Delay(300);
        var single = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(41, await outbox.AppendAsync(P(41)));
        Assert.True(single.Elapsed < window + TimeSpan.FromSeconds(1), $"idle append took {single.Elapsed}");
    }

    [Fact]
    public async Task Under_load_the_group_commit_window_does_not_throttle_producers_that_wait_for_their_appends()
    {
        // 32 producers × 50 appends, each waiting for its previous one (as observation loops do). Throttled by a 200 ms
        // window this would take 50 × 200 ms = 10 s; under load the fsync itself gathers and it takes well under that.
        using var outbox = DurableOutbox.Open(Options(o => { o.GroupCommitWindow = TimeSpan.FromMilliseconds(200); o.UnsafeSkipFsync = true; }));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 32).Select(p => Task.Run(async () =>
        {
            for (int i = 0; i < 50; i++)
            {
                await outbox.AppendAsync(P((p * 50) + i));
            }
        })));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"1,600 appends took {clock.Elapsed}");
        Assert.Equal(1600, outbox.GetStats().Appended);
    }

    [Fact]
    public async Task Dispose_commits_appends_still_waiting_in_the_group_commit_window()
    {
        Task<long> pending;
        using (var outbox = DurableOutbox.Open(Options(o => o.GroupCommitWindow = TimeSpan.FromSeconds(1))))
        {
            Assert.Equal(1, await outbox.AppendAsync(P(1)));
            pending = outbox.AppendAsync(P(2));
        }

        Assert.Equal(2, await pending);
        using var reopened = DurableOutbox.Open(Options());
        Assert.Equal(["reading-00001", "reading-00002"], All(reopened).Select(Text));
    }

    [Fact]
    public async Task Oversized_payload_is_refused_and_disposed_outbox_refuses_appends()
    {
        var outbox = DurableOutbox.Open(Options(o => o.MaxRecordBytes = 100));
        Assert.Throws<ArgumentException>(() => { _ = outbox.AppendAsync(new byte[101]); });
        await outbox.AppendAsync(new byte[100]);
        outbox.Dispose();
        Assert.Throws<ObjectDisposedException>(() => { _ = outbox.AppendAsync(new byte[1]); });
    }

    [Fact]
    public async Task Corrupt_cursor_slots_fall_back_to_redelivery_not_failure()
    {
        using (var outbox = DurableOutbox.Open(Options()))
        {
            for (int i = 1; i <= 5; i++)
            {
                await outbox.AppendAsync(P(i));
            }

            outbox.Acknowledge(3, 3);
            outbox.PersistCursor();
        }

        await File.WriteAllBytesAsync(Path.Combine(_dir.Path, "cursor"), new byte[32].Select((_, i) => (byte)i).ToArray());
        using var reopened = DurableOutbox.Open(Options());
        Assert.Equal(1, All(reopened)[0].Sequence);
    }

    [Fact]
    public void Directory_fsync_works_on_linux()
    {
        Assert.Equal(OperatingSystem.IsLinux(), DirectorySync.TryFlush(_dir.Path));
        Assert.False(DirectorySync.TryFlush(Path.Combine(_dir.Path, "missing")));
    }
}
