using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;

namespace ActiveGate.Outbox;

/// <summary>
/// The durable outbox: an fsync'd, checksummed, segmented append log of accepted records plus a persisted
/// delivery cursor.
/// <list type="bullet">
/// <item><see cref="AppendAsync"/> completes only after the record is on disk (group commit: one writer thread
/// writes everything queued since the last fsync, then fsyncs once).</item>
/// <item>Each reader (one per upstream service) has an <see cref="OutboxCursor"/>: it reads in sequence order
/// (<see cref="OutboxCursor.PeekBatch"/>) and acknowledges a prefix (<see cref="OutboxCursor.Acknowledge"/>); its
/// position is persisted at most every <see cref="OutboxOptions.CursorPersistInterval"/>, so after a crash a few
/// records are re-delivered (at least once; the upstream names make that idempotent). A record stays until every
/// cursor has passed it. The methods on the outbox itself work on <see cref="DefaultCursor"/>.</item>
/// <item>Bounded by <see cref="OutboxOptions.MaxBytes"/> and <see cref="OutboxOptions.MaxAge"/>: the oldest records
/// are dropped with a counter and a warning, never silently.</item>
/// <item>On open, a torn or corrupt tail is detected (length, CRC, sequence) and truncated; never fatal.</item>
/// </list>
/// Undelivered records are also held in memory (bounded by MaxBytes) so delivery does not re-read the disk.
/// </summary>
public sealed class DurableOutbox : IAsyncDisposable, IDisposable
{
    private const string SegmentExtension = ".seg";

    private readonly OutboxOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _directory;
    private readonly object _gate = new(); // object, not Lock: the writer uses Monitor.Wait/Pulse on it
    private readonly List<PendingAppend> _appendQueue = [];
    // Records some cursor has not passed, in sequence order; the live part starts at _retainedHead (removal from the
    // front is amortised: the list is compacted once the dead prefix is large).
    private readonly List<Pending> _retained = [];
    private readonly List<SegmentInfo> _segments = [];
    private readonly List<OutboxCursor> _cursors = [];
    private readonly Thread _writer;
    private int _retainedHead;
    private TaskCompletionSource _pendingSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private FileStream? _active;
    private SegmentInfo? _activeSegment;
    private long _nextSequence;
    private long _pendingBytes;
    private long _appended;
    private long _commits;
    private long _dropped;
    private long _refused;
    private string? _lastAppendError;
    private DateTimeOffset? _lastAppendErrorAt;
    private bool _stopping;
    private bool _writerIdle;
    private AppendRate _appendRate;
    private bool _disposed;

    /// <summary>Below this many appends per group-commit window the writer gathers them for a window (a trickle).</summary>
    private const double TrickleAppendsPerWindow = 16;

    /// <summary>Appends per second over the last quarter second (guarded by the gate): quick to notice a burst.</summary>
    private struct AppendRate
    {
        private static readonly TimeSpan s_bucket = TimeSpan.FromMilliseconds(250);
        private long _bucketStart;
        private int _inBucket;

        public double PerSecond { get; private set; }

        public void Count()
        {
            long now = Stopwatch.GetTimestamp();
            TimeSpan elapsed = Stopwatch.GetElapsedTime(_bucketStart, now);
            if (elapsed >= s_bucket)
            {
                PerSecond = elapsed < 2 * s_bucket ? _inBucket / elapsed.TotalSeconds : 0;
                _bucketStart = now;
                _inBucket = 0;
            }

            _inBucket++;
        }
    }

    private sealed record PendingAppend(byte[] Payload, TaskCompletionSource<long> Completion);

    private readonly record struct Pending(long Sequence, long AcceptedUnixMs, byte[] Payload)
    {
        public long DiskSize => OutboxRecordFormat.RecordSize(Payload.Length);
    }

    private sealed class SegmentInfo(string path, long firstSequence)
    {
        public string Path { get; } = path;
        public long FirstSequence { get; } = firstSequence;
        public long LastSequence { get; set; } = firstSequence - 1;
        public long Length { get; set; }
    }

    private DurableOutbox(OutboxOptions options, TimeProvider time, ILogger logger)
    {
        _options = options;
        _time = time;
        _logger = logger;
        _directory = Path.GetFullPath(options.Directory);
        Directory.CreateDirectory(_directory);
        DefaultCursor = new OutboxCursor(this, DefaultCursorName, new OutboxCursorFile(CursorPath(DefaultCursorName), !options.UnsafeSkipFsync));
        _cursors.Add(DefaultCursor);
        foreach (string file in Directory.GetFiles(_directory, "cursor.*"))
        {
            // The pattern also matches "cursor" itself (".*" matches no extension too).
            string fileName = Path.GetFileName(file);
            string name = fileName.Length > "cursor.".Length ? fileName["cursor.".Length..] : "";
            if (IsValidCursorName(name) && name != DefaultCursorName)
            {
                _cursors.Add(new OutboxCursor(this, name, new OutboxCursorFile(file, !options.UnsafeSkipFsync)));
            }
        }

        _writer = new Thread(WriterLoop) { IsBackground = true, Name = "outbox-writer" };
    }

    /// <summary>The name of <see cref="DefaultCursor"/>; its position is kept in the file <c>cursor</c>.</summary>
    public const string DefaultCursorName = "default";

    /// <summary>The first reader (the readings' platform); the outbox's own reading methods work on it.</summary>
    public OutboxCursor DefaultCursor { get; }

    /// <summary>Bytes cut off torn or corrupt tails during <see cref="Open"/>.</summary>
    public long TruncatedBytesAtOpen { get; private set; }

    /// <summary>Opens (creating if needed) the outbox in <see cref="OutboxOptions.Directory"/>, recovering from a crash.</summary>
    public static DurableOutbox Open(OutboxOptions options, TimeProvider? timeProvider = null, ILogger<DurableOutbox>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.SegmentBytes < 4096 || options.MaxBytes < 4096 || options.MaxRecordBytes < 1)
        {
            throw new ArgumentException("outbox limits too small (SegmentBytes and MaxBytes ≥ 4096)", nameof(options));
        }

        var outbox = new DurableOutbox(options, timeProvider ?? TimeProvider.System, logger ?? (ILogger)NullLogger.Instance);
        try
        {
            outbox.Recover();
        }
        catch
        {
            outbox.Dispose();
            throw;
        }

        foreach (OutboxCursor cursor in outbox._cursors)
        {
            cursor.LastPersistTicks = outbox._time.GetTimestamp();
        }

        outbox._writer.Start();
        return outbox;
    }

    private string CursorPath(string name) => Path.Combine(_directory, name == DefaultCursorName ? "cursor" : "cursor." + name);

    private static bool IsValidCursorName(string name)
        => name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>The lowest position of any cursor: everything after it is still needed by someone.</summary>
    private long MinimumPosition()
    {
        long min = long.MaxValue;
        foreach (OutboxCursor c in _cursors)
        {
            min = Math.Min(min, c.Acknowledged);
        }

        return min;
    }

    private long MinimumPersisted()
    {
        long min = long.MaxValue;
        foreach (OutboxCursor c in _cursors)
        {
            min = Math.Min(min, c.File.Sequence);
        }

        return min;
    }

    private void Recover()
    {
        long lastSequence = 0;
        long needed = MinimumPosition();
        string[] files = Directory.GetFiles(_directory, "*" + SegmentExtension);
        Array.Sort(files, StringComparer.Ordinal);
        byte[] buffer = [];
        foreach (string file in files)
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 0);
            long fileLength = stream.Length;
            if (fileLength > int.MaxValue)
            {
                Quarantine(file, "segment larger than 2 GiB");
                continue;
            }

            if (buffer.Length < fileLength)
            {
                buffer = new byte[fileLength];
            }

            stream.ReadExactly(buffer, 0, (int)fileLength);
            ReadOnlySpan<byte> data = buffer.AsSpan(0, (int)fileLength);
            if (!OutboxRecordFormat.TryReadSegmentHeader(data, out long firstSequence))
            {
                if (fileLength < OutboxRecordFormat.SegmentHeaderSize)
                {
                    // Crashed while creating the segment: nothing in it was ever acknowledged.
                    stream.Dispose();
                    File.Delete(file);
                    TruncatedBytesAtOpen += fileLength;
                    _logger.LogWarning("outbox: removed torn segment {File} ({Bytes} bytes)", Path.GetFileName(file), fileLength);
                }
                else
                {
                    Quarantine(file, "bad segment header");
                }

                continue;
            }

            var segment = new SegmentInfo(file, firstSequence);
            int offset = OutboxRecordFormat.SegmentHeaderSize;
            long expected = Math.Max(firstSequence, lastSequence + 1);
            string? problem = null;
            while (offset < data.Length)
            {
                OutboxRecordFormat.ReadResult result = OutboxRecordFormat.TryReadRecord(data[offset..], _options.MaxRecordBytes,
                    out long sequence, out long acceptedMs, out int payloadLength);
                if (result == OutboxRecordFormat.ReadResult.Ok && sequence < expected)
                {
                    result = OutboxRecordFormat.ReadResult.Corrupt;
                }

                if (result != OutboxRecordFormat.ReadResult.Ok)
                {
                    problem = result == OutboxRecordFormat.ReadResult.Incomplete ? "torn record" : "corrupt record";
                    break;
                }

                if (sequence > needed)
                {
                    byte[] payload = data.Slice(offset + OutboxRecordFormat.RecordHeaderSize, payloadLength).ToArray();
                    var pending = new Pending(sequence, acceptedMs, payload);
                    _retained.Add(pending);
                    _pendingBytes += pending.DiskSize;
                }

                segment.LastSequence = sequence;
                lastSequence = sequence;
                expected = sequence + 1;
                offset += OutboxRecordFormat.RecordSize(payloadLength);
            }

            if (problem is not null)
            {
                long cut = data.Length - offset;
                stream.SetLength(offset);
                stream.Flush(flushToDisk: !_options.UnsafeSkipFsync);
                TruncatedBytesAtOpen += cut;
                _logger.LogWarning("outbox: {Problem} in {File} at offset {Offset}: truncated {Bytes} bytes (never acknowledged if at the tail)",
                    problem, Path.GetFileName(file), offset, cut);
            }

            segment.Length = offset;
            _segments.Add(segment);
        }

        _nextSequence = Math.Max(lastSequence, _cursors.Max(c => c.Acknowledged)) + 1;
        int recovered = _retained.Count;
        if (recovered > 0 && _logger.IsEnabled(LogLevel.Information))
        {
            _logger.LogInformation("outbox: recovered {Count} undelivered records ({Bytes} bytes), next sequence {Next}",
                recovered, _pendingBytes, _nextSequence);
        }

        DeleteDeliveredSegments(keepLast: false);
        SegmentInfo? last = _segments.Count > 0 ? _segments[^1] : null;
        if (last is not null && last.Length < _options.SegmentBytes)
        {
            _active = new FileStream(last.Path, FileMode.Open, FileAccess.Write, FileShare.Read, 0);
            _active.Seek(last.Length, SeekOrigin.Begin);
            _activeSegment = last;
        }
    }

    private void Quarantine(string file, string why)
    {
        string target = file + ".corrupt";
        File.Move(file, target, overwrite: true);
        _logger.LogWarning("outbox: {Why}: moved {File} aside as {Target}", why, Path.GetFileName(file), Path.GetFileName(target));
    }

    /// <summary>
    /// Appends one record and completes with its sequence number once it is durable (fsync'd). The payload is
    /// copied. Throws <see cref="ArgumentException"/> for payloads above <see cref="OutboxOptions.MaxRecordBytes"/>,
    /// <see cref="ObjectDisposedException"/> after disposal, or the I/O error that prevented durability.
    /// </summary>
    public Task<long> AppendAsync(ReadOnlySpan<byte> payload)
    {
        if (payload.Length > _options.MaxRecordBytes)
        {
            throw new ArgumentException($"record of {payload.Length} bytes exceeds MaxRecordBytes {_options.MaxRecordBytes}", nameof(payload));
        }

        var append = new PendingAppend(payload.ToArray(), new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            _appendQueue.Add(append);
            _appendRate.Count();
            if (_writerIdle)
            {
                _writerIdle = false;
                Monitor.Pulse(_gate);
            }
        }

        return append.Completion.Task;
    }

    private void WriterLoop()
    {
        var batch = new List<PendingAppend>();
        byte[] scratch = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            TimeSpan window = _options.GroupCommitWindow;
            bool committed = false;
            while (true)
            {
                bool wokenByAppend = false;
                bool trickle;
                lock (_gate)
                {
                    // A trickle (a few appends per window) is gathered for one window: the writer looks again one window
                    // after its last commit instead of being woken by each append, one wake-up per window instead of two
                    // per record. Under load the fsync itself gathers (whatever arrived during it is the next batch), so
                    // the window never throttles producers that wait for their append.
                    trickle = window > TimeSpan.Zero && _appendRate.PerSecond * window.TotalSeconds < TrickleAppendsPerWindow;
                    if (trickle && committed && _appendQueue.Count == 0 && !_stopping)
                    {
                        Monitor.Wait(_gate, window);
                    }

                    while (_appendQueue.Count == 0 && !_stopping)
                    {
                        _writerIdle = true;
                        wokenByAppend = true;
                        Monitor.Wait(_gate);
                    }

                    _writerIdle = false;
                    if (_appendQueue.Count == 0 && _stopping)
                    {
                        return;
                    }
                }

                if (wokenByAppend && trickle && !_stopping)
                {
                    Thread.Sleep(window);
                }

                committed = true;
                lock (_gate)
                {
                    batch.AddRange(_appendQueue);
                    _appendQueue.Clear();
                }

                try
                {
                    CommitBatch(batch, ref scratch);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Full disk, EIO, a read-only remount: these records are refused (their producers are told), the log
                    // is cut back to what was committed, and the next append tries again on a fresh segment, so the
                    // outbox recovers by itself once space returns.
                    _logger.LogError(ex, "outbox: append of {Count} records failed; they were NOT accepted", batch.Count);
                    lock (_gate)
                    {
                        _refused += batch.Count;
                        _lastAppendError = ex.Message;
                        _lastAppendErrorAt = _time.GetUtcNow();
                    }

                    foreach (PendingAppend a in batch)
                    {
                        a.Completion.TrySetException(ex);
                    }
                }

                batch.Clear();
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private void CommitBatch(List<PendingAppend> batch, ref byte[] scratch)
    {
        long acceptedMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        long firstSequence = _nextSequence;
        int index = 0;
        var committed = new Pending[batch.Count];
        SegmentInfo? written = null;
        long committedLength = 0, committedLast = 0;
        try
        {
            while (index < batch.Count)
            {
                SegmentInfo segment = EnsureActiveSegment(_nextSequence);
                if (!ReferenceEquals(written, segment))
                {
                    // What the segment held before this batch (a batch larger than the scratch buffer writes it twice).
                    (written, committedLength, committedLast) = (segment, segment.Length, segment.LastSequence);
                }

                index = FillAndWrite(batch, committed, index, segment, acceptedMs, ref scratch);
            }

            FlushActive();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            if (written is not null)
            {
                CutBack(written, committedLength, committedLast);
            }

            throw;
        }

        Publish(batch, committed, firstSequence);
    }

    /// <summary>Writes as many records of the batch as fit in the scratch buffer and the segment; returns the next index.</summary>
    private int FillAndWrite(List<PendingAppend> batch, Pending[] committed, int index, SegmentInfo segment, long acceptedMs, ref byte[] scratch)
    {
        int used = 0;
        // Fill the scratch buffer with as many records as fit in it and in the segment.
        while (index < batch.Count)
        {
            byte[] payload = batch[index].Payload;
            int size = OutboxRecordFormat.RecordSize(payload.Length);
            if (used > 0 && (used + size > scratch.Length || segment.Length + used + size > _options.SegmentBytes))
            {
                break;
            }

            if (size > scratch.Length)
            {
                ArrayPool<byte>.Shared.Return(scratch);
                scratch = ArrayPool<byte>.Shared.Rent(size);
            }

            long sequence = _nextSequence++;
            OutboxRecordFormat.WriteRecord(scratch.AsSpan(used, size), sequence, acceptedMs, payload);
            committed[index] = new Pending(sequence, acceptedMs, payload);
            used += size;
            index++;
        }

        _active!.Write(scratch, 0, used);
        segment.Length += used;
        segment.LastSequence = _nextSequence - 1;
        if (segment.Length >= _options.SegmentBytes || index < batch.Count)
        {
            FlushActive();
            CloseActive();
        }

        return index;
    }

    /// <summary>
    /// After a failed write or fsync: closes the segment and cuts it back to what was committed before (a segment that
    /// never held a committed record goes), so no refused record is left to be delivered and the name is free again.
    /// Best effort: what cannot be cut back is a torn tail that recovery truncates.
    /// </summary>
    private void CutBack(SegmentInfo segment, long length, long lastSequence)
    {
        CloseActive();
        try
        {
            if (lastSequence < segment.FirstSequence)
            {
                File.Delete(segment.Path);
                lock (_gate)
                {
                    _segments.Remove(segment);
                }
            }
            else
            {
                using var stream = new FileStream(segment.Path, FileMode.Open, FileAccess.Write, FileShare.Read, 0);
                stream.SetLength(length);
                stream.Flush(flushToDisk: !_options.UnsafeSkipFsync);
                segment.Length = length;
                segment.LastSequence = lastSequence;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning(ex, "outbox: could not cut {File} back to its committed length {Length} (recovery truncates the torn tail)", Path.GetFileName(segment.Path), length);
        }
    }

    private void Publish(List<PendingAppend> batch, Pending[] committed, long firstSequence)
    {
        // Durable: publish and complete.
        lock (_gate)
        {
            foreach (Pending p in committed)
            {
                _retained.Add(p);
                _pendingBytes += p.DiskSize;
            }

            _appended += committed.Length;
            _commits++;
            EnforceBoundsLocked();
            _pendingSignal.TrySetResult();
            foreach (OutboxCursor cursor in _cursors)
            {
                if (cursor.DepthWaiter is not null && DepthLocked(cursor) >= cursor.DepthWanted)
                {
                    cursor.DepthWaiter.TrySetResult();
                    cursor.DepthWaiter = null;
                }
            }
        }

        for (int i = 0; i < batch.Count; i++)
        {
            batch[i].Completion.TrySetResult(firstSequence + i);
        }
    }

    private SegmentInfo EnsureActiveSegment(long firstSequence)
    {
        if (_active is not null)
        {
            return _activeSegment!;
        }

        string path = Path.Combine(_directory, firstSequence.ToString("D20", CultureInfo.InvariantCulture) + SegmentExtension);
        var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 0);
        Span<byte> header = stackalloc byte[OutboxRecordFormat.SegmentHeaderSize];
        OutboxRecordFormat.WriteSegmentHeader(header, firstSequence);
        try
        {
            stream.Write(header);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A segment that could not even take its header holds nothing: remove it, or its name blocks every later append.
            stream.Dispose();
            File.Delete(path);
            throw;
        }

        // The header reaches the disk with the first fsync of records; the new directory entry needs its own fsync.
        if (!_options.UnsafeSkipFsync)
        {
            DirectorySync.TryFlush(_directory);
        }

        var segment = new SegmentInfo(path, firstSequence) { Length = header.Length };
        lock (_gate)
        {
            _segments.Add(segment);
        }

        _active = stream;
        _activeSegment = segment;
        return segment;
    }

    private void FlushActive()
    {
        if (_active is not null)
        {
            _active.Flush(flushToDisk: !_options.UnsafeSkipFsync);
        }
    }

    private void CloseActive()
    {
        _active?.Dispose();
        _active = null;
        _activeSegment = null;
    }

    /// <summary>
    /// Opens (or creates) the named reader. A new one starts after the newest record (it gets what is accepted from now
    /// on) unless <paramref name="startAt"/> names a position; its position is persisted at once so a restart keeps it.
    /// </summary>
    public OutboxCursor OpenCursor(string name, long? startAt = null)
    {
        if (!IsValidCursorName(name))
        {
            throw new ArgumentException("cursor names are 1 to 64 letters, digits, '-' or '_'", nameof(name));
        }

        OutboxCursor cursor;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            OutboxCursor? existing = _cursors.Find(c => c.Name == name);
            if (existing is not null)
            {
                return existing;
            }

            long position = startAt ?? (_nextSequence - 1);
            long oldestHeld = _retainedHead < _retained.Count ? _retained[_retainedHead].Sequence - 1 : _nextSequence - 1;
            cursor = new OutboxCursor(this, name, new OutboxCursorFile(CursorPath(name), !_options.UnsafeSkipFsync))
            {
                // Records already gone from the log cannot be read again: start no earlier than what is held.
                Acknowledged = Math.Clamp(position, oldestHeld, _nextSequence - 1),
                LastPersistTicks = _time.GetTimestamp(),
            };
            _cursors.Add(cursor);
        }

        PersistCursor(cursor);
        return cursor;
    }

    /// <summary>Removes a reader and its file; records only it still needed are released.</summary>
    public void RemoveCursor(OutboxCursor cursor)
    {
        ArgumentNullException.ThrowIfNull(cursor);
        if (cursor == DefaultCursor)
        {
            throw new InvalidOperationException("the default cursor cannot be removed");
        }

        lock (_gate)
        {
            if (!_cursors.Remove(cursor))
            {
                return;
            }

            cursor.Removed = true;
            cursor.DepthWaiter?.TrySetCanceled(CancellationToken.None);
            ReleaseLocked();
        }

        lock (cursor.File)
        {
            cursor.File.Dispose();
        }

        File.Delete(CursorPath(cursor.Name));
        DeleteDeliveredSegments(keepLast: true);
    }

    /// <summary>The readers, the default one first.</summary>
    public IReadOnlyList<OutboxCursor> Cursors
    {
        get
        {
            lock (_gate)
            {
                return [.. _cursors];
            }
        }
    }

    internal long PositionOf(OutboxCursor cursor)
    {
        lock (_gate)
        {
            return cursor.Acknowledged;
        }
    }

    /// <summary>Index in _retained of the first record after <paramref name="sequence"/> (binary search; the list is in sequence order).</summary>
    private int IndexAfter(long sequence)
    {
        int lo = _retainedHead, hi = _retained.Count;
        while (lo < hi)
        {
            int mid = lo + ((hi - lo) / 2);
            if (_retained[mid].Sequence <= sequence)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private int DepthLocked(OutboxCursor cursor) => _retained.Count - IndexAfter(cursor.Acknowledged);

    /// <summary>Drops what every cursor has passed from memory (the segments go when the persisted positions pass them).</summary>
    private void ReleaseLocked()
    {
        long min = MinimumPosition();
        while (_retainedHead < _retained.Count && _retained[_retainedHead].Sequence <= min)
        {
            _pendingBytes -= _retained[_retainedHead].DiskSize;
            _retained[_retainedHead] = default;
            _retainedHead++;
        }

        if (_retainedHead == _retained.Count)
        {
            _retained.Clear();
            _retainedHead = 0;
        }
        else if (_retainedHead > 1024 && _retainedHead > _retained.Count / 2)
        {
            _retained.RemoveRange(0, _retainedHead);
            _retainedHead = 0;
        }
    }

    /// <summary>Completes when at least one record is waiting for delivery (default cursor).</summary>
    public Task WaitForPendingAsync(CancellationToken cancellationToken) => WaitForPendingAsync(DefaultCursor, cancellationToken);

    internal Task WaitForPendingAsync(OutboxCursor cursor, CancellationToken cancellationToken)
    {
        Task signal;
        lock (_gate)
        {
            if (DepthLocked(cursor) > 0)
            {
                return Task.CompletedTask;
            }

            if (_pendingSignal.Task.IsCompleted)
            {
                _pendingSignal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            signal = _pendingSignal.Task;
        }

        return signal.WaitAsync(cancellationToken);
    }

    /// <summary>Completes once at least <paramref name="depth"/> records wait for delivery (default cursor; one waiter at a time).</summary>
    public Task WaitForDepthAsync(int depth, CancellationToken cancellationToken) => WaitForDepthAsync(DefaultCursor, depth, cancellationToken);

    internal Task WaitForDepthAsync(OutboxCursor cursor, int depth, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (DepthLocked(cursor) >= depth)
            {
                return Task.CompletedTask;
            }

            cursor.DepthWaiter?.TrySetCanceled(CancellationToken.None);
            cursor.DepthWaiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            cursor.DepthWanted = depth;
            return cursor.DepthWaiter.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>See <see cref="OutboxCursor.TimeUntilBatchDue"/> (default cursor).</summary>
    public TimeSpan? TimeUntilBatchDue(int batchSize, TimeSpan linger) => TimeUntilBatchDue(DefaultCursor, batchSize, linger);

    internal TimeSpan? TimeUntilBatchDue(OutboxCursor cursor, int batchSize, TimeSpan linger)
    {
        lock (_gate)
        {
            int first = IndexAfter(cursor.Acknowledged);
            int depth = _retained.Count - first;
            if (depth == 0)
            {
                return null;
            }

            if (depth >= batchSize)
            {
                return TimeSpan.Zero;
            }

            TimeSpan waited = _time.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(_retained[first].AcceptedUnixMs);
            return waited >= linger ? TimeSpan.Zero : linger - waited;
        }
    }

    /// <summary>Copies up to <paramref name="max"/> oldest undelivered entries into <paramref name="into"/> (default cursor).</summary>
    public int PeekBatch(int max, List<OutboxEntry> into) => PeekBatch(DefaultCursor, max, into);

    internal int PeekBatch(OutboxCursor cursor, int max, List<OutboxEntry> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        lock (_gate)
        {
            int n = 0;
            for (int i = IndexAfter(cursor.Acknowledged); i < _retained.Count && n < max; i++, n++)
            {
                Pending p = _retained[i];
                into.Add(new OutboxEntry(p.Sequence, DateTimeOffset.FromUnixTimeMilliseconds(p.AcceptedUnixMs), p.Payload));
            }

            return n;
        }
    }

    /// <summary>
    /// Marks every entry up to and including <paramref name="sequence"/> as handled by the default cursor:
    /// <paramref name="delivered"/> of them were delivered and <paramref name="rejected"/> permanently refused.
    /// </summary>
    public void Acknowledge(long sequence, int delivered, int rejected = 0) => Acknowledge(DefaultCursor, sequence, delivered, rejected);

    internal void Acknowledge(OutboxCursor cursor, long sequence, int delivered, int rejected)
    {
        bool persist;
        lock (_gate)
        {
            if (cursor.Removed)
            {
                return;
            }

            cursor.Acknowledged = Math.Max(cursor.Acknowledged, sequence);
            cursor.Delivered += delivered;
            cursor.Rejected += rejected;
            cursor.SampleRate(_time, record: true);
            ReleaseLocked();
            persist = cursor.PersistEveryAcknowledgement
                || _time.GetElapsedTime(cursor.LastPersistTicks) >= _options.CursorPersistInterval;
        }

        if (persist)
        {
            PersistCursor(cursor);
        }
    }

    /// <summary>Writes the default cursor (fsync) and deletes segments that hold nothing undelivered.</summary>
    public void PersistCursor() => PersistCursor(DefaultCursor);

    internal void PersistCursor(OutboxCursor cursor)
    {
        long position;
        lock (_gate)
        {
            position = cursor.Acknowledged;
            cursor.LastPersistTicks = _time.GetTimestamp();
        }

        lock (cursor.File)
        {
            if (_disposed || cursor.Removed)
            {
                return;
            }

            cursor.File.Write(position);
        }

        DeleteDeliveredSegments(keepLast: true);
    }

    private void DeleteDeliveredSegments(bool keepLast)
    {
        List<SegmentInfo> doomed;
        lock (_gate)
        {
            long persisted = MinimumPersisted();
            int limit = keepLast ? _segments.Count - 1 : _segments.Count;
            doomed = [];
            for (int i = 0; i < limit; i++)
            {
                SegmentInfo s = _segments[i];
                if (s.LastSequence > persisted)
                {
                    break;
                }

                doomed.Add(s);
            }

            _segments.RemoveRange(0, doomed.Count);
        }

        foreach (SegmentInfo s in doomed)
        {
            try
            {
                File.Delete(s.Path);
            }
            catch (IOException ex)
            {
                _logger.LogWarning(ex, "outbox: could not delete delivered segment {File}", s.Path);
            }
        }
    }

    /// <summary>Applies the size and age bounds now (delivery calls this periodically even when idle).</summary>
    public void EnforceBounds()
    {
        lock (_gate)
        {
            EnforceBoundsLocked();
        }
    }

    private void EnforceBoundsLocked()
    {
        long oldestAllowedMs = (_time.GetUtcNow() - _options.MaxAge).ToUnixTimeMilliseconds();
        // Hysteresis: when over the size bound, drop down to 90 % so warnings come in chunks, not per record.
        long sizeTarget = _pendingBytes > _options.MaxBytes ? _options.MaxBytes / 10 * 9 : long.MaxValue;
        int droppedBySize = 0, droppedByAge = 0;
        long firstDropped = 0, lastDropped = 0;
        while (_retainedHead < _retained.Count)
        {
            Pending head = _retained[_retainedHead];
            bool tooOld = head.AcceptedUnixMs < oldestAllowedMs;
            bool tooBig = _pendingBytes > sizeTarget;
            if (!tooOld && !tooBig)
            {
                break;
            }

            _retained[_retainedHead] = default;
            _retainedHead++;
            _pendingBytes -= head.DiskSize;
            foreach (OutboxCursor cursor in _cursors)
            {
                if (cursor.Acknowledged < head.Sequence)
                {
                    cursor.Acknowledged = head.Sequence;
                    cursor.Dropped++;
                }
            }

            firstDropped = firstDropped == 0 ? head.Sequence : firstDropped;
            lastDropped = head.Sequence;
            if (tooOld)
            {
                droppedByAge++;
            }
            else
            {
                droppedBySize++;
            }
        }

        if (droppedByAge + droppedBySize > 0)
        {
            ReleaseLocked();
            _dropped += droppedByAge + droppedBySize;
            _logger.LogWarning(
                "outbox: dropped {Count} undelivered records (seq {First}..{Last}; {BySize} over MaxBytes {MaxBytes}, {ByAge} older than {MaxAge}); total dropped {Total}",
                droppedByAge + droppedBySize, firstDropped, lastDropped, droppedBySize, _options.MaxBytes, droppedByAge, _options.MaxAge, _dropped);
        }
    }

    /// <summary>The outbox as a whole, with delivery counted by the default cursor.</summary>
    public OutboxStats GetStats()
    {
        lock (_gate)
        {
            OutboxCursorStats reader = GetStatsLocked(DefaultCursor);
            return new OutboxStats(
                Depth: reader.Depth,
                PendingBytes: _pendingBytes,
                DiskBytes: _segments.Sum(s => s.Length),
                OldestAge: reader.OldestAge,
                Appended: _appended,
                Commits: _commits,
                Delivered: reader.Delivered,
                Dropped: _dropped,
                Rejected: reader.Rejected,
                DeliveredPerSecond: reader.DeliveredPerSecond,
                TruncatedBytesAtOpen: TruncatedBytesAtOpen,
                Segments: _segments.Count)
            {
                Refused = _refused,
                LastAppendError = _lastAppendError,
                LastAppendErrorAt = _lastAppendErrorAt,
            };
        }
    }

    internal OutboxCursorStats GetStats(OutboxCursor cursor)
    {
        lock (_gate)
        {
            return GetStatsLocked(cursor);
        }
    }

    private OutboxCursorStats GetStatsLocked(OutboxCursor cursor)
    {
        int first = IndexAfter(cursor.Acknowledged);
        TimeSpan? oldestAge = first == _retained.Count
            ? null
            : _time.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(_retained[first].AcceptedUnixMs);
        return new OutboxCursorStats(cursor.Name, cursor.Acknowledged, _retained.Count - first, oldestAge,
            cursor.Delivered, cursor.Rejected, cursor.Dropped, cursor.SampleRate(_time, record: false));
    }

    /// <summary>Stops accepting, waits for queued appends to become durable, persists the cursors and closes the files.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_stopping)
            {
                return;
            }

            _stopping = true;
            Monitor.PulseAll(_gate);
        }

        if (_writer.IsAlive)
        {
            _writer.Join();
        }

        foreach (OutboxCursor cursor in Cursors)
        {
            if (_segments.Count > 0 || cursor.Acknowledged != cursor.File.Sequence)
            {
                try
                {
                    PersistCursor(cursor);
                }
                catch (IOException ex)
                {
                    _logger.LogWarning(ex, "outbox: could not persist cursor {Cursor} at shutdown (records will be re-delivered)", cursor.Name);
                }
            }
        }

        foreach (OutboxCursor cursor in Cursors)
        {
            lock (cursor.File)
            {
                _disposed = true;
                cursor.File.Dispose();
            }
        }

        CloseActive();
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
