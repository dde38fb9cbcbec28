using System.Buffers;
using System.IO.Pipelines;

namespace ActiveGate.Radio.Framing;

/// <summary>What <see cref="SlipFrameReader.ReadAsync"/> returned.</summary>
/// <param name="Status">
/// <see cref="SlipFrameStatus.Frame"/> with <paramref name="Frame"/> set, or the reason a frame was dropped
/// (<see cref="SlipFrameStatus.Oversized"/>, <see cref="SlipFrameStatus.InvalidEscape"/>).
/// </param>
/// <param name="Frame">The decoded frame; valid only until the next call.</param>
/// <param name="Completed">True when the stream ended; no more frames follow.</param>
public readonly record struct SlipReadResult(SlipFrameStatus Status, ReadOnlyMemory<byte> Frame, bool Completed);

/// <summary>
/// Pulls SLIP frames out of a <see cref="PipeReader"/> (for example over a serial stream). Holds one
/// frame-sized buffer and the “discard until END” flag; the framing itself is <see cref="SlipFramer"/>.
/// </summary>
public sealed class SlipFrameReader
{
    private readonly PipeReader _reader;
    private readonly byte[] _frame;
    private bool _discarding;

    /// <summary>Creates a reader whose frames are at most <paramref name="maxFrameSize"/> decoded bytes.</summary>
    public SlipFrameReader(PipeReader reader, int maxFrameSize)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxFrameSize);
        _reader = reader;
        _frame = new byte[maxFrameSize];
    }

    /// <summary>The frame-size limit.</summary>
    public int MaxFrameSize => _frame.Length;

    /// <summary>
    /// Returns the next frame, or the next dropped one (so the caller can count it), or completion.
    /// A partial frame left when the stream ends is dropped silently (it is what an unplug leaves).
    /// </summary>
    public async ValueTask<SlipReadResult> ReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult read = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = read.Buffer;

            if (_discarding)
            {
                _discarding = !SlipFramer.TrySkipToEnd(ref buffer);
            }

            SlipFrameStatus status = SlipFrameStatus.Incomplete;
            int length = 0;
            if (!_discarding)
            {
                status = SlipFramer.TryReadFrame(ref buffer, _frame, out length);
                if (status == SlipFrameStatus.OversizedIncomplete)
                {
                    _discarding = true;
                    status = SlipFrameStatus.Oversized;
                }
            }

            if (status == SlipFrameStatus.Incomplete)
            {
                // Consumed: leading END bytes / discarded junk. Examined: everything, so we wait for more.
                _reader.AdvanceTo(buffer.Start, buffer.End);
                if (read.IsCompleted || read.IsCanceled)
                {
                    return new SlipReadResult(SlipFrameStatus.Incomplete, ReadOnlyMemory<byte>.Empty, Completed: true);
                }

                continue;
            }

            // The frame was copied into _frame, so advancing the pipe past it is safe.
            _reader.AdvanceTo(buffer.Start);
            return new SlipReadResult(status, status == SlipFrameStatus.Frame ? _frame.AsMemory(0, length) : ReadOnlyMemory<byte>.Empty, Completed: false);
        }
    }
}
