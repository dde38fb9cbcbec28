using ActiveGate.Outbox;

namespace ActiveGate.Outbox.Tests;

public sealed class OutboxRecordFormatTests
{
    [Fact]
    public void Record_round_trips()
    {
        byte[] payload = [1, 2, 3, 4, 5];
        byte[] buffer = new byte[OutboxRecordFormat.RecordSize(payload.Length)];
        OutboxRecordFormat.WriteRecord(buffer, 42, 1_700_000_000_000, payload);
        Assert.Equal(OutboxRecordFormat.ReadResult.Ok, OutboxRecordFormat.TryReadRecord(buffer, 1024, out long seq, out long ms, out int len));
        Assert.Equal(42, seq);
        Assert.Equal(1_700_000_000_000, ms);
        Assert.Equal(5, len);
        Assert.Equal(payload, buffer[OutboxRecordFormat.RecordHeaderSize..]);
    }

    [Fact]
    public void Every_single_bit_flip_is_detected()
    {
        byte[] buffer = new byte[OutboxRecordFormat.RecordSize(16)];
        OutboxRecordFormat.WriteRecord(buffer, 7, 99, new byte[16]);
        for (int bit = 0; bit < buffer.Length * 8; bit++)
        {
            byte[] copy = (byte[])buffer.Clone();
            copy[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.NotEqual(OutboxRecordFormat.ReadResult.Ok, OutboxRecordFormat.TryReadRecord(copy, 1024, out _, out _, out _));
        }
    }

    [Fact]
    public void Every_truncation_is_incomplete_not_ok()
    {
        byte[] buffer = new byte[OutboxRecordFormat.RecordSize(10)];
        OutboxRecordFormat.WriteRecord(buffer, 1, 1, new byte[10]);
        for (int len = 0; len < buffer.Length; len++)
        {
            Assert.Equal(OutboxRecordFormat.ReadResult.Incomplete, OutboxRecordFormat.TryReadRecord(buffer.AsSpan(0, len), 1024, out _, out _, out _));
        }
    }

    [Fact]
    public void Crc32c_matches_the_rfc3720_check_value()
        => Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
}
