using ActiveGate.Ieee802154.Pcap;
using ActiveGate.Ieee802154.Tests.Support;
using ActiveGate.TestKit.Peers;

namespace ActiveGate.Ieee802154.Tests;

public class MacFrameCodecTests
{
    private static readonly MacAddress s_root = MacAddress.Parse("00:12:4b:00:01:02:03:04");
    private static readonly MacAddress s_plug = MacAddress.Parse("00:12:4b:00:06:0d:b2:a1");

    private static byte[][] GoldenFrames()
    {
        using var reader = new PcapReader(File.OpenRead(ReferenceData.LowpanFile("lowpan-nofcs.pcap")));
        return reader.ReadAll().Select(r => r.Data.ToArray()).ToArray();
    }

    [Fact]
    public void Golden_frame_1_unicast_long_long()
    {
        byte[] frame = GoldenFrames()[0];
        Assert.True(MacFrameCodec.TryRead(frame, out MacFrame mac, out MacFrameError error));
        Assert.Equal(MacFrameError.None, error);
        MacHeader h = mac.Header;
        Assert.Equal(MacFrameType.Data, h.FrameType);
        Assert.True(h.AckRequest);
        Assert.True(h.PanIdCompression);
        Assert.Equal(MacFrameVersion.Ieee2006, h.Version);
        Assert.Equal(0x2a, h.SequenceNumber);
        Assert.Equal(0xabcd, h.DestinationPanId);
        Assert.Equal(0xabcd, h.SourcePanId);
        Assert.Equal(s_plug, h.Destination);
        Assert.Equal(s_root, h.Source);
        Assert.Equal(21, mac.HeaderLength);
        Assert.Equal(0x7e, mac.Payload[0]);
    }

    [Fact]
    public void Golden_frames_round_trip_byte_for_byte()
    {
        foreach (byte[] frame in GoldenFrames())
        {
            MacFrame mac = MacFrameCodec.Read(frame);
            byte[] again = new byte[127];
            Assert.True(MacFrameCodec.TryWrite(mac.Header, mac.Payload, again, out int written, out MacFrameError error), error.ToString());
            Assert.Equal(frame, again[..written]);
        }
    }

    [Fact]
    public void Golden_frame_3_is_broadcast_with_long_source()
    {
        MacFrame mac = MacFrameCodec.Read(GoldenFrames()[2]);
        Assert.True(mac.Header.Destination.IsBroadcast);
        Assert.False(mac.Header.AckRequest);
        Assert.Equal(s_root, mac.Header.Source);
        Assert.Equal(15, mac.HeaderLength);
    }

    [Fact]
    public void Data_factory_sets_ack_request_for_unicast_only()
    {
        Assert.True(MacHeader.Data(1, s_root, s_plug, 0).AckRequest);
        Assert.False(MacHeader.Data(1, s_root, MacAddress.Broadcast, 0).AckRequest);
    }

    [Theory]
    [InlineData(AddressingMode.None, AddressingMode.Extended, false)]
    [InlineData(AddressingMode.Extended, AddressingMode.None, false)]
    [InlineData(AddressingMode.Short, AddressingMode.Short, true)]
    [InlineData(AddressingMode.Short, AddressingMode.Extended, true)]
    [InlineData(AddressingMode.Extended, AddressingMode.Short, true)]
    [InlineData(AddressingMode.Extended, AddressingMode.Extended, false)]
    [InlineData(AddressingMode.None, AddressingMode.None, false)]
    public void All_addressing_modes_round_trip(AddressingMode dst, AddressingMode src, bool samePan)
    {
        MacAddress Make(AddressingMode mode, ulong v) => mode switch
        {
            AddressingMode.Short => MacAddress.FromShort((ushort)v),
            AddressingMode.Extended => MacAddress.FromExtended(v),
            _ => MacAddress.None,
        };

        var header = new MacHeader
        {
            FrameType = MacFrameType.Data,
            Version = MacFrameVersion.Ieee2006,
            SequenceNumber = 200,
            DestinationPanId = 0xabcd,
            SourcePanId = samePan ? (ushort)0xabcd : (ushort)0x1234,
            Destination = Make(dst, 0x0102030405060708),
            Source = Make(src, 0x1112131415161718),
            FramePending = true,
        };
        byte[] buffer = new byte[127];
        Assert.True(MacFrameCodec.TryWrite(header, [0xAA, 0xBB], buffer, out int written, out _));
        Assert.Equal(MacFrameCodec.GetHeaderLength(header) + 2, written);
        MacFrame read = MacFrameCodec.Read(buffer.AsSpan(0, written));
        Assert.Equal(header.Destination, read.Header.Destination);
        Assert.Equal(header.Source, read.Header.Source);
        Assert.True(read.Header.FramePending);
        Assert.Equal(200, read.Header.SequenceNumber);
        bool bothPresent = dst != AddressingMode.None && src != AddressingMode.None;
        Assert.Equal(bothPresent && samePan, read.Header.PanIdCompression);
        if (src != AddressingMode.None)
        {
            Assert.Equal(header.SourcePanId, read.Header.SourcePanId);
        }

        if (dst != AddressingMode.None)
        {
            Assert.Equal(header.DestinationPanId, read.Header.DestinationPanId);
        }

        Assert.Equal(new byte[] { 0xAA, 0xBB }, read.Payload.ToArray());
    }

    [Fact]
    public void Ack_frame_is_three_bytes()
    {
        byte[] buffer = new byte[8];
        Assert.True(MacFrameCodec.TryWrite(MacHeader.Ack(0x55), [], buffer, out int written, out _));
        Assert.Equal(new byte[] { 0x02, 0x00, 0x55 }, buffer[..written]);
        MacFrame read = MacFrameCodec.Read(buffer.AsSpan(0, written));
        Assert.Equal(MacFrameType.Ack, read.Header.FrameType);
        Assert.Equal(0, read.Payload.Length);
    }

    [Fact]
    public void Security_enabled_frame_is_rejected_with_reason()
    {
        byte[] frame = Convert.FromHexString("69dc2acdaba1b20d06004b120004030201004b1200");
        Assert.False(MacFrameCodec.TryRead(frame, out _, out MacFrameError error));
        Assert.Equal(MacFrameError.SecurityEnabled, error);
        var ex = Assert.Throws<MacFrameFormatException>(() => MacFrameCodec.Read(frame));
        Assert.Contains("security", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", MacFrameError.Truncated)]
    [InlineData("41", MacFrameError.Truncated)]
    [InlineData("41d8", MacFrameError.Truncated)]
    [InlineData("41d801", MacFrameError.Truncated)]
    [InlineData("41d801cdabff", MacFrameError.Truncated)]
    [InlineData("61dc2acdaba1b20d06004b120004030201004b", MacFrameError.Truncated)]
    [InlineData("04000000", MacFrameError.ReservedFrameType)]
    [InlineData("4104010000", MacFrameError.ReservedAddressingMode)]
    [InlineData("41f801cdabffff0102030405060708", MacFrameError.UnsupportedVersion)]
    [InlineData("01ee01cdab0102030405060708", MacFrameError.InformationElementsNotSupported)]
    [InlineData("41a9cdabff", MacFrameError.Truncated)]
    [InlineData("41c001cdab0102030405060708", MacFrameError.InvalidPanIdCompression)]
    public void Malformed_frames_are_rejected_without_exceptions(string hex, MacFrameError expected)
    {
        byte[] frame = Convert.FromHexString(hex);
        Assert.False(MacFrameCodec.TryRead(frame, out MacFrame mac, out MacFrameError error));
        Assert.Equal(expected, error);
        Assert.Equal(0, mac.HeaderLength);
    }

    [Fact]
    public void Oversize_is_refused_by_writer_and_reader()
    {
        MacHeader header = MacHeader.Data(0xabcd, s_root, s_plug, 1);
        byte[] payload = new byte[MacFrameCodec.MaxFrameLengthWithoutFcs - 21 + 1];
        Assert.False(MacFrameCodec.TryWrite(header, payload, new byte[200], out _, out MacFrameError error));
        Assert.Equal(MacFrameError.TooLong, error);
        Assert.True(MacFrameCodec.TryWrite(header, payload.AsSpan(0, payload.Length - 1), new byte[200], out int written, out _));
        Assert.Equal(125, written);
        Assert.False(MacFrameCodec.TryRead(new byte[128], out _, out error));
        Assert.Equal(MacFrameError.TooLong, error);
    }

    [Fact]
    public void Small_destination_writes_nothing()
    {
        MacHeader header = MacHeader.Data(0xabcd, s_root, s_plug, 1);
        byte[] buffer = new byte[10];
        Assert.False(MacFrameCodec.TryWrite(header, [], buffer, out int written, out MacFrameError error));
        Assert.Equal(MacFrameError.DestinationTooSmall, error);
        Assert.Equal(0, written);
        Assert.All(buffer, b => Assert.Equal(0, b));
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        var random = new Random(1234);
        byte[] buffer = new byte[130];
        for (int i = 0; i < 20000; i++)
        {
            int length = random.Next(buffer.Length);
            random.NextBytes(buffer.AsSpan(0, length));
            if (MacFrameCodec.TryRead(buffer.AsSpan(0, length), out MacFrame frame, out _))
            {
                Assert.True(frame.HeaderLength <= length);
            }
        }
    }

    [Fact]
    public void Tshark_decodes_every_frame_kind_we_write()
    {
        var frames = new List<MacHeader>
        {
            MacHeader.Data(0xabcd, s_root, s_plug, 1),
            MacHeader.Data(0xabcd, s_root, MacAddress.Broadcast, 2),
            MacHeader.Data(0xabcd, MacAddress.FromShort(0x0001), MacAddress.FromShort(0x0002), 3),
            MacHeader.Data(0xabcd, s_root, MacAddress.FromShort(0x0002), 4) with { SourcePanId = 0x1234 },
            MacHeader.Ack(5),
            new MacHeader { FrameType = MacFrameType.Beacon, Version = MacFrameVersion.Ieee2006, SequenceNumber = 6, Source = MacAddress.FromShort(0x0001), SourcePanId = 0xabcd },
            new MacHeader { FrameType = MacFrameType.MacCommand, Version = MacFrameVersion.Ieee2006, SequenceNumber = 7, Destination = MacAddress.Broadcast, DestinationPanId = 0xffff, AckRequest = false },
        };
        byte[][] payloads = [[0x41, 0x60, 0, 0, 0, 0, 0, 0x3b, 64], [], [], [], [], [0xff, 0xcf, 0, 0], [0x07]];

        string path = Path.Combine(Path.GetTempPath(), $"ag-mac-{Guid.NewGuid():N}.pcap");
        try
        {
            using (var writer = new PcapWriter(File.Create(path), PcapLinkType.Ieee802154WithFcs))
            {
                byte[] buffer = new byte[127];
                for (int i = 0; i < frames.Count; i++)
                {
                    Assert.True(MacFrameCodec.TryWrite(frames[i], payloads[i], buffer, out int n, out _));
                    writer.WriteFrame(DateTimeOffset.UnixEpoch.AddSeconds(i), buffer.AsSpan(0, n));
                }
            }

            var rows = Tshark.Fields(path, [], "wpan.fcs_ok", "wpan.frame_type", "wpan.seq_no", "wpan.dst_pan",
                "wpan.dst16", "wpan.dst64", "wpan.src_pan", "wpan.src16", "wpan.src64", "wpan.ack_request", "wpan.pan_id_compression", "wpan.cmd");
            Assert.Equal(frames.Count, rows.Count);
            Assert.All(rows, r => Assert.Equal("1", r[0]));
            Assert.Equal(["0x0001", "1", "0xabcd", "", "00:12:4b:00:06:0d:b2:a1", "", "", "00:12:4b:00:01:02:03:04", "1", "1"], rows[0][1..11]);
            Assert.Equal(["0x0001", "2", "0xabcd", "0xffff", "", "", "", "00:12:4b:00:01:02:03:04", "0", "1"], rows[1][1..11]);
            Assert.Equal(["0x0001", "3", "0xabcd", "0x0002", "", "", "0x0001", "", "1", "1"], rows[2][1..11]);
            Assert.Equal(["0x0001", "4", "0xabcd", "0x0002", "", "0x1234", "", "00:12:4b:00:01:02:03:04", "1", "0"], rows[3][1..11]);
            Assert.Equal(["0x0002", "5"], rows[4][1..3]);
            Assert.Equal(["0x0000", "6"], rows[5][1..3]);
            Assert.Equal("0x0001", rows[5][7]);
            Assert.Equal(["0x0003", "7"], rows[6][1..3]);
            Assert.Equal("0x07", rows[6][11]);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
