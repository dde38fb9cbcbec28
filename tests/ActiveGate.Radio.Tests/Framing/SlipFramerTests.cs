using System.Buffers;
using System.IO.Pipelines;
using ActiveGate.Radio.Framing;

namespace ActiveGate.Radio.Tests.Framing;

public class SlipFramerTests
{
    [Theory]
    // plain, firmware style (leading + trailing END), host style (trailing END only)
    [InlineData("C03F4DC0", "3F4D")]
    [InlineData("3F4DC0", "3F4D")]
    // escaped END and ESC inside the payload
    [InlineData("C001DBDC02DBDD03C0", "01C002DB03")]
    // empty frames are skipped
    [InlineData("C0C0C0AAC0", "AA")]
    public void Decodes_frames(string wire, string payload)
    {
        var buffer = new ReadOnlySequence<byte>(Convert.FromHexString(wire));
        Span<byte> frame = stackalloc byte[64];
        Assert.Equal(SlipFrameStatus.Frame, SlipFramer.TryReadFrame(ref buffer, frame, out int length));
        Assert.Equal(payload, Convert.ToHexString(frame[..length]));
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void Incomplete_frame_consumes_only_leading_ends()
    {
        var buffer = new ReadOnlySequence<byte>(Convert.FromHexString("C0C00102DB"));
        Span<byte> frame = stackalloc byte[64];
        Assert.Equal(SlipFrameStatus.Incomplete, SlipFramer.TryReadFrame(ref buffer, frame, out _));
        Assert.Equal("0102DB", Convert.ToHexString(buffer.ToArray()));
    }

    [Fact]
    public void Decodes_across_segments()
    {
        var buffer = Segments([0xC0, 0x01, 0xDB], [0xDC, 0x02], [0xC0, 0x05, 0xC0]);
        Span<byte> frame = stackalloc byte[64];
        Assert.Equal(SlipFrameStatus.Frame, SlipFramer.TryReadFrame(ref buffer, frame, out int length));
        Assert.Equal("01C002", Convert.ToHexString(frame[..length]));
        Assert.Equal(SlipFrameStatus.Frame, SlipFramer.TryReadFrame(ref buffer, frame, out length));
        Assert.Equal("05", Convert.ToHexString(frame[..length]));
    }

    [Fact]
    public void Oversized_terminated_frame_is_consumed_and_reported()
    {
        byte[] wire = [0xC0, .. Enumerable.Repeat((byte)0x41, 10), 0xC0, 0x42, 0xC0];
        var buffer = new ReadOnlySequence<byte>(wire);
        Span<byte> frame = stackalloc byte[8];
        Assert.Equal(SlipFrameStatus.Oversized, SlipFramer.TryReadFrame(ref buffer, frame, out _));
        Assert.Equal(SlipFrameStatus.Frame, SlipFramer.TryReadFrame(ref buffer, frame, out int length));
        Assert.Equal("42", Convert.ToHexString(frame[..length]));
    }

    [Fact]
    public void Oversized_unterminated_frame_is_dropped_until_the_next_end()
    {
        var buffer = new ReadOnlySequence<byte>(Enumerable.Repeat((byte)0x41, 10).ToArray());
        Span<byte> frame = stackalloc byte[8];
        Assert.Equal(SlipFrameStatus.OversizedIncomplete, SlipFramer.TryReadFrame(ref buffer, frame, out _));
        Assert.True(buffer.IsEmpty);

        var rest = new ReadOnlySequence<byte>(Convert.FromHexString("4141C043C0"));
        Assert.True(SlipFramer.TrySkipToEnd(ref rest));
        Assert.Equal(SlipFrameStatus.Frame, SlipFramer.TryReadFrame(ref rest, frame, out int length));
        Assert.Equal("43", Convert.ToHexString(frame[..length]));
    }

    [Theory]
    [InlineData("01DB0102C0")] // ESC followed by a byte RFC 1055 does not define
    [InlineData("01DBC0")] // frame cut inside an escape
    public void Invalid_escape_drops_the_frame(string wire)
    {
        var buffer = new ReadOnlySequence<byte>(Convert.FromHexString(wire + "07C0"));
        Span<byte> frame = stackalloc byte[64];
        Assert.Equal(SlipFrameStatus.InvalidEscape, SlipFramer.TryReadFrame(ref buffer, frame, out _));
        Assert.Equal(SlipFrameStatus.Frame, SlipFramer.TryReadFrame(ref buffer, frame, out int length));
        Assert.Equal("07", Convert.ToHexString(frame[..length]));
    }

    [Fact]
    public void Encodes_with_leading_and_trailing_end_and_escapes()
    {
        byte[] destination = new byte[SlipFramer.GetMaxEncodedLength(5)];
        Assert.True(SlipFramer.TryEncode("!S"u8, [0xC0, 0xDB, 0x01], destination, out int written));
        Assert.Equal("C02153DBDCDBDD01C0", Convert.ToHexString(destination, 0, written));
    }

    [Fact]
    public void Encode_writes_nothing_when_too_small()
    {
        byte[] destination = new byte[4];
        Assert.False(SlipFramer.TryEncode([0xC0, 0xC0], destination, out int written));
        Assert.Equal(0, written);
        Assert.All(destination, b => Assert.Equal(0, b));
    }

    [Fact]
    public void Round_trips_every_byte_value()
    {
        byte[] payload = [.. Enumerable.Range(0, 256).Select(i => (byte)i)];
        byte[] wire = new byte[SlipFramer.GetMaxEncodedLength(payload.Length)];
        Assert.True(SlipFramer.TryEncode(payload, wire, out int written));
        var buffer = new ReadOnlySequence<byte>(wire, 0, written);
        byte[] frame = new byte[256];
        Assert.Equal(SlipFrameStatus.Frame, SlipFramer.TryReadFrame(ref buffer, frame, out int length));
        Assert.Equal(payload, frame[..length]);
    }

    [Fact]
    public async Task Reader_counts_drops_and_keeps_framing_after_them()
    {
        var pipe = new Pipe();
        var reader = new SlipFrameReader(pipe.Reader, maxFrameSize: 16);
        // oversized (split over two writes), invalid escape, a good frame fed byte by byte.
        await pipe.Writer.WriteAsync(Enumerable.Repeat((byte)0x55, 20).ToArray());
        var first = await reader.ReadAsync(CancellationToken.None);
        Assert.Equal(SlipFrameStatus.Oversized, first.Status);

        await pipe.Writer.WriteAsync(Convert.FromHexString("5555C0" + "01DB02C0"));
        Assert.Equal(SlipFrameStatus.InvalidEscape, (await reader.ReadAsync(CancellationToken.None)).Status);

        Task<SlipReadResult> next = reader.ReadAsync(CancellationToken.None).AsTask();
        foreach (byte b in Convert.FromHexString("C00A0BDBDC0CC0"))
        {
            await pipe.Writer.WriteAsync(new[] { b });
        }

        SlipReadResult good = await next;
        Assert.Equal(SlipFrameStatus.Frame, good.Status);
        Assert.Equal("0A0BC00C", Convert.ToHexString(good.Frame.Span));

        await pipe.Writer.WriteAsync(Convert.FromHexString("0102")); // cut by an unplug
        await pipe.Writer.CompleteAsync();
        Assert.True((await reader.ReadAsync(CancellationToken.None)).Completed);
    }

    private static ReadOnlySequence<byte> Segments(params byte[][] parts)
    {
        var first = new Segment(parts[0], 0);
        Segment last = first;
        foreach (byte[] part in parts.Skip(1))
        {
            last = last.Append(part);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] data, long runningIndex)
        {
            Memory = data;
            RunningIndex = runningIndex;
        }

        public Segment Append(byte[] data)
        {
            var next = new Segment(data, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
