using ActiveGate.Ieee802154;
using ActiveGate.SixLowpan.Context;
using ActiveGate.SixLowpan.Fragmentation;
using ActiveGate.SixLowpan.Iphc;
using ActiveGate.SixLowpan.Ipv6;
using ActiveGate.SixLowpan.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace ActiveGate.SixLowpan.Tests.Fragmentation;

public class ReassemblerTests
{
    private static readonly ContextTable s_contexts = ContextTable.WithContext0(Ipv6Prefix.DefaultMesh);
    private static readonly LinkAddresses s_link = new(Golden.Plug, Golden.Root);

    private static byte[] BigDatagram(int payloadLength = 500)
    {
        byte[] payload = Enumerable.Range(0, payloadLength).Select(i => (byte)i).ToArray();
        return Lowpan.Udp(Ipv6Address.LinkLocal(Golden.Plug), Ipv6Address.FromPrefix(Ipv6Prefix.DefaultMesh, Golden.Root), 5683, 5683, payload);
    }

    private static ReadOnlySpan<byte> Payload(byte[] frame) => MacFrameCodec.Read(frame).Payload;

    [Fact]
    public void Fragments_are_multiples_of_eight_and_fit_the_frame()
    {
        byte[] datagram = BigDatagram();
        byte[][] frames = Lowpan.Encode(datagram, Golden.Plug, Golden.Root, s_contexts, tag: 9, sequence: 250);
        Assert.True(frames.Length > 1);
        int expectedOffset = -1;
        for (int i = 0; i < frames.Length; i++)
        {
            Assert.True(frames[i].Length <= MacFrameCodec.MaxFrameLengthWithoutFcs);
            MacFrame mac = MacFrameCodec.Read(frames[i]);
            Assert.Equal((byte)(250 + i), mac.Header.SequenceNumber);
            Assert.True(FragmentHeader.TryRead(mac.Payload, out FragmentHeader header));
            Assert.Equal(i == 0, header.IsFirst);
            Assert.Equal(datagram.Length, header.DatagramSize);
            Assert.Equal(9, header.Tag);
            if (i > 0)
            {
                Assert.Equal(expectedOffset, header.Offset);
                int data = mac.Payload.Length - FragmentHeader.SubsequentLength;
                Assert.True(i == frames.Length - 1 || data % 8 == 0);
                expectedOffset += data;
            }
            else
            {
                expectedOffset = 0;
            }

            if (i == 0)
            {
                // FRAG1's uncompressed coverage is the next fragment's offset.
                MacFrame next = MacFrameCodec.Read(frames[1]);
                FragmentHeader.TryRead(next.Payload, out FragmentHeader n);
                Assert.Equal(0, n.Offset % 8);
                expectedOffset = n.Offset;
            }
        }

        Assert.Equal(datagram.Length, expectedOffset);
    }

    [Fact]
    public void In_order_and_reversed_fragments_reassemble()
    {
        byte[] datagram = BigDatagram();
        byte[][] frames = Lowpan.Encode(datagram, Golden.Plug, Golden.Root, s_contexts);
        foreach (byte[][] order in new[] { frames, frames.Reverse().ToArray() })
        {
            using var reassembler = new Reassembler(timeProvider: new FakeTimeProvider());
            byte[]? result = null;
            for (int i = 0; i < order.Length; i++)
            {
                ReassemblyStatus status = reassembler.Add(Payload(order[i]), s_link, s_contexts, out result, out LowpanError error);
                Assert.Equal(LowpanError.None, error);
                Assert.Equal(i == order.Length - 1 ? ReassemblyStatus.Complete : ReassemblyStatus.Incomplete, status);
            }

            Assert.Equal(datagram, result);
            Assert.Equal(1, reassembler.Counters.Completed);
        }
    }

    [Fact]
    public void Duplicate_fragment_does_not_complete_early()
    {
        byte[][] frames = Lowpan.Encode(BigDatagram(), Golden.Plug, Golden.Root, s_contexts);
        using var reassembler = new Reassembler(timeProvider: new FakeTimeProvider());
        Assert.Equal(ReassemblyStatus.Incomplete, reassembler.Add(Payload(frames[0]), s_link, s_contexts, out _, out _));
        Assert.Equal(ReassemblyStatus.Incomplete, reassembler.Add(Payload(frames[0]), s_link, s_contexts, out _, out _));
        Assert.Equal(ReassemblyStatus.Incomplete, reassembler.Add(Payload(frames[1]), s_link, s_contexts, out _, out _));
        Assert.Equal(1, reassembler.PendingCount);
    }

    [Fact]
    public void Partial_datagram_times_out()
    {
        var time = new FakeTimeProvider();
        byte[][] frames = Lowpan.Encode(BigDatagram(), Golden.Plug, Golden.Root, s_contexts);
        using var reassembler = new Reassembler(new ReassemblyOptions { Timeout = TimeSpan.FromSeconds(5) }, time);
        for (int i = 0; i < frames.Length - 1; i++)
        {
            reassembler.Add(Payload(frames[i]), s_link, s_contexts, out _, out _);
        }

        time.Advance(TimeSpan.FromSeconds(4.9));
        Assert.Equal(0, reassembler.PurgeExpired());
        time.Advance(TimeSpan.FromSeconds(0.2));
        Assert.Equal(1, reassembler.PurgeExpired());
        Assert.Equal(0, reassembler.PendingCount);

        // The last fragment alone now starts a new, incomplete datagram.
        Assert.Equal(ReassemblyStatus.Incomplete, reassembler.Add(Payload(frames[^1]), s_link, s_contexts, out _, out _));
        Assert.Equal(1, reassembler.Counters.TimedOut);
    }

    [Fact]
    public void Datagrams_with_different_tags_or_sources_are_kept_apart()
    {
        byte[] d1 = BigDatagram(300);
        byte[] d2 = BigDatagram(301);
        byte[][] a = Lowpan.Encode(d1, Golden.Plug, Golden.Root, s_contexts, tag: 1);
        byte[][] b = Lowpan.Encode(d2, Golden.Plug, Golden.Root, s_contexts, tag: 2);
        using var reassembler = new Reassembler(timeProvider: new FakeTimeProvider());
        byte[]? r1 = null;
        byte[]? r2 = null;
        for (int i = 0; i < Math.Max(a.Length, b.Length); i++)
        {
            if (i < a.Length && reassembler.Add(Payload(a[i]), s_link, s_contexts, out byte[]? x, out _) == ReassemblyStatus.Complete)
            {
                r1 = x;
            }

            if (i < b.Length && reassembler.Add(Payload(b[i]), s_link, s_contexts, out byte[]? y, out _) == ReassemblyStatus.Complete)
            {
                r2 = y;
            }
        }

        Assert.Equal(d1, r1);
        Assert.Equal(d2, r2);
    }

    [Fact]
    public void Bounded_concurrency_evicts_the_oldest()
    {
        var time = new FakeTimeProvider();
        using var reassembler = new Reassembler(new ReassemblyOptions { MaxConcurrent = 2 }, time);
        for (ushort tag = 0; tag < 3; tag++)
        {
            byte[][] frames = Lowpan.Encode(BigDatagram(), Golden.Plug, Golden.Root, s_contexts, tag: tag);
            reassembler.Add(Payload(frames[0]), s_link, s_contexts, out _, out _);
            time.Advance(TimeSpan.FromMilliseconds(10));
        }

        Assert.Equal(2, reassembler.PendingCount);
        Assert.Equal(1, reassembler.Counters.Evicted);
    }

    [Theory]
    [InlineData("c0", LowpanError.Truncated)]
    [InlineData("c0ce0001", LowpanError.Truncated)] // size 206 FRAG1 with no data
    [InlineData("c7ff0001", LowpanError.TooLarge)] // 2047 > 1280
    [InlineData("c0100001", LowpanError.InvalidFragment)] // size 16 < 40
    [InlineData("e0ce000119" + "0000000000000000000000000000000000", LowpanError.InvalidFragment)] // offset 200 + 17 > 206
    [InlineData("c0ce000142", LowpanError.UnsupportedDispatch)] // HC1 after FRAG1
    public void Malformed_fragments_are_dropped_with_a_reason(string hex, LowpanError expected)
    {
        using var reassembler = new Reassembler(timeProvider: new FakeTimeProvider());
        Assert.Equal(ReassemblyStatus.Dropped, reassembler.Add(Convert.FromHexString(hex), s_link, s_contexts, out _, out LowpanError error));
        Assert.Equal(expected, error);
        Assert.Equal(0, reassembler.PendingCount);
    }

    [Fact]
    public void Frag1_headers_larger_than_the_datagram_are_refused()
    {
        byte[][] frames = Lowpan.Encode(BigDatagram(), Golden.Plug, Golden.Root, s_contexts);
        byte[] first = Payload(frames[0]).ToArray();
        first[0] = 0xC0;
        first[1] = 48; // claim a 48-byte datagram: headers + data exceed it
        using var reassembler = new Reassembler(timeProvider: new FakeTimeProvider());
        Assert.Equal(ReassemblyStatus.Dropped, reassembler.Add(first, s_link, s_contexts, out _, out LowpanError error));
        Assert.Equal(LowpanError.InvalidFragment, error);
    }

    [Fact]
    public void Oversize_datagram_is_refused_by_the_encoder()
    {
        byte[] datagram = Lowpan.Udp(Ipv6Address.Parse("fe80::1"), Ipv6Address.Parse("fe80::2"), 1, 2, new byte[2100]);
        MacHeader mac = MacHeader.Data(Lowpan.Pan, Golden.Root, Golden.Plug, 1);
        byte[] output = new byte[LowpanCodec.MaxFramesPerDatagram * 127];
        Assert.Equal(LowpanError.TooLarge, LowpanCodec.TryEncode(datagram, mac, null, 1, output, new Range[LowpanCodec.MaxFramesPerDatagram], out _));
    }
}
