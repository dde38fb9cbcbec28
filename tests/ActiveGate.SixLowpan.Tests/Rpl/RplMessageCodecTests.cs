using ActiveGate.Ieee802154;
using ActiveGate.SixLowpan.Ipv6;
using ActiveGate.SixLowpan.Rpl;
using ActiveGate.SixLowpan.Rpl.Messages;
using ActiveGate.SixLowpan.Tests.Support;

namespace ActiveGate.SixLowpan.Tests.Rpl;

public class RplMessageCodecTests
{
    private static readonly Ipv6Address s_rootLinkLocal = Ipv6Address.Parse("fe80::212:4b00:102:304");
    private static readonly Ipv6Address s_dodagId = Ipv6Address.Parse("fd00::212:4b00:102:304");
    private static readonly Ipv6Address s_node = Ipv6Address.Parse("fd00::212:4b00:60d:b2a1");

    /// <summary>Golden frame 3: MAC header (15 bytes), IPHC 7B 3B, inline NH 58, DAM 8-bit 1a, then the ICMPv6 DIO.</summary>
    private static byte[] GoldenDioIcmp()
    {
        byte[] mpdu = Golden.Frames()[2];
        MacFrame mac = MacFrameCodec.Read(mpdu);
        ReadOnlySpan<byte> lowpan = mac.Payload;
        Assert.Equal(new byte[] { 0x7B, 0x3B, 0x3A, 0x1A }, lowpan[..4].ToArray());
        return lowpan[4..].ToArray();
    }

    [Fact]
    public void Golden_frame3_dio_decodes_with_dodag_configuration_and_prefix_information()
    {
        byte[] icmp = GoldenDioIcmp();
        Assert.True(RplMessageCodec.VerifyChecksum(s_rootLinkLocal, Ipv6Address.AllRplNodes, icmp));

        var dio = Assert.IsType<RplDio>(RplMessageCodec.Read(icmp));
        Assert.Equal(0, dio.InstanceId);
        Assert.Equal(240, dio.Version);
        Assert.Equal(128, dio.Rank);
        Assert.True(dio.Grounded);
        Assert.Equal(RplMode.NonStoring, dio.Mode);
        Assert.Equal(0, dio.Preference);
        Assert.Equal(240, dio.Dtsn);
        Assert.Equal(s_dodagId, dio.DodagId);

        DodagConfigurationOption config = dio.FindOption<DodagConfigurationOption>()!;
        Assert.Equal(8, config.DioIntervalDoublings);
        Assert.Equal(12, config.DioIntervalMin);
        Assert.Equal(10, config.DioRedundancyConstant);
        Assert.Equal(1024, config.MaxRankIncrease);
        Assert.Equal(128, config.MinHopRankIncrease);
        Assert.Equal(RplConstants.OcpMrhof, config.ObjectiveCodePoint);
        Assert.Equal(30, config.DefaultLifetime);
        Assert.Equal(60, config.LifetimeUnit);

        PrefixInformationOption pio = dio.FindOption<PrefixInformationOption>()!;
        Assert.Equal(Ipv6Prefix.DefaultMesh, pio.Prefix);
        Assert.True(pio.Autonomous);
        Assert.False(pio.OnLink);
        Assert.Equal(uint.MaxValue, pio.ValidLifetime);
        Assert.Equal(uint.MaxValue, pio.PreferredLifetime);
        Assert.Equal(2, dio.Options.Count);
    }

    [Fact]
    public void Golden_frame3_dio_reencodes_byte_for_byte_including_checksum()
    {
        byte[] icmp = GoldenDioIcmp();
        RplMessage dio = RplMessageCodec.Read(icmp);
        byte[] encoded = RplMessageCodec.Encode(dio, s_rootLinkLocal, Ipv6Address.AllRplNodes);
        Assert.Equal(Convert.ToHexString(icmp), Convert.ToHexString(encoded));
    }

    [Fact]
    public void Rpl_lite_dao_hex_vector_decodes()
    {
        // Hand-assembled from RFC 6550 §6.4.1/6.7.7/6.7.8 as Contiki-NG RPL-Lite sends it:
        // 9B 02 cksum | inst 00 | K=1 D=0 -> 80 | reserved 00 | seq F1 |
        // Target 05 12 flags 00 len 80 fd00::212:4b00:60d:b2a1 |
        // Transit 06 14 E/flags 00 ctl 00 seq 00 lifetime 1E parent fd00::212:4b00:102:304
        byte[] icmp = Convert.FromHexString(
            "9B020000" + "008000F1"
            + "0512" + "0080" + "FD000000000000000212" + "4B00060DB2A1"
            + "0614" + "0000001E" + "FD000000000000000212" + "4B0001020304");
        var dao = Assert.IsType<RplDao>(RplMessageCodec.Read(icmp));
        Assert.Equal(0, dao.InstanceId);
        Assert.True(dao.AckRequested);
        Assert.Null(dao.DodagId);
        Assert.Equal(0xF1, dao.Sequence);
        RplTargetOption target = dao.FindOption<RplTargetOption>()!;
        Assert.Equal(new Ipv6Prefix(s_node, 128), target.Target);
        TransitInformationOption transit = dao.FindOption<TransitInformationOption>()!;
        Assert.Equal(30, transit.PathLifetime);
        Assert.Equal(s_dodagId, transit.ParentAddress);
        Assert.False(transit.External);

        // And our writer produces the same bytes (checksum zero in this form).
        Assert.Equal(Convert.ToHexString(icmp), Convert.ToHexString(WriteNoChecksum(dao)));
    }

    [Fact]
    public void Dao_ack_hex_vector_with_dodag_id()
    {
        byte[] icmp = Convert.FromHexString("9B030000" + "1E80F100" + "FD000000000000000212" + "4B0001020304");
        var ack = Assert.IsType<RplDaoAck>(RplMessageCodec.Read(icmp));
        Assert.Equal(0x1E, ack.InstanceId);
        Assert.Equal(0xF1, ack.Sequence);
        Assert.Equal(RplDaoAck.StatusAccepted, ack.Status);
        Assert.Equal(s_dodagId, ack.DodagId);
        Assert.Equal(Convert.ToHexString(icmp), Convert.ToHexString(WriteNoChecksum(ack)));
    }

    public static TheoryData<string, RplMessage> RoundTripCases() => new()
    {
        { "DIS plain", new RplDis() },
        {
            "DIS with solicited information",
            new RplDis
            {
                Options =
                [
                    new SolicitedInformationOption
                    {
                        InstanceId = 0x1E, VersionPredicate = true, InstancePredicate = true, DodagIdPredicate = true, DodagId = s_dodagId, Version = 241,
                    },
                ],
            }
        },
        {
            "DIO every option",
            new RplDio
            {
                InstanceId = 0x1E, Version = 3, Rank = 256, Grounded = true, Mode = RplMode.Storing, Preference = 5, Dtsn = 241, DodagId = s_dodagId,
                Options =
                [
                    new DagMetricContainerOption(new byte[] { 7, 0, 0, 2, 0, 128 }),
                    new RouteInformationOption(new Ipv6Prefix(Ipv6Address.Parse("2001:db8:1::"), 48), 1, 3600),
                    new DodagConfigurationOption
                    {
                        AuthenticationEnabled = true, PathControlSize = 3, DioIntervalDoublings = 20, DioIntervalMin = 3, DioRedundancyConstant = 10,
                        MaxRankIncrease = 7 * 256, MinHopRankIncrease = 256, ObjectiveCodePoint = 1, DefaultLifetime = 0xFF, LifetimeUnit = 0xFFFF,
                    },
                    new PrefixInformationOption
                    {
                        Prefix = Ipv6Prefix.LegacyContikiMesh, OnLink = true, Autonomous = true, RouterAddress = true,
                        ValidLifetime = 86400, PreferredLifetime = 14400, PrefixField = Ipv6Address.Parse("aaaa::1"),
                    },
                    new UnknownRplOption(0x42, new byte[] { 1, 2, 3 }),
                ],
            }
        },
        {
            "DAO storing with D flag and several targets",
            new RplDao
            {
                InstanceId = 0x1E, AckRequested = false, Sequence = 17, DodagId = s_dodagId,
                Options =
                [
                    RplTargetOption.ForAddress(s_node),
                    new TargetDescriptorOption(0xDEADBEEF),
                    new RplTargetOption(new Ipv6Prefix(Ipv6Address.Parse("fd00:0:0:7::"), 64), 0),
                    new TransitInformationOption { External = true, PathControl = 0x80, PathSequence = 241, PathLifetime = 0xFF },
                ],
            }
        },
        {
            "DAO no-path",
            new RplDao
            {
                InstanceId = 0, AckRequested = true, Sequence = 240,
                Options = [RplTargetOption.ForAddress(s_node), new TransitInformationOption { PathLifetime = 0, ParentAddress = s_dodagId }],
            }
        },
        { "DAO-ACK rejected", new RplDaoAck { InstanceId = 0, Sequence = 9, Status = RplDaoAck.StatusNoRoom } },
    };

    [Theory]
    [MemberData(nameof(RoundTripCases))]
    public void Round_trip_preserves_every_field(string name, RplMessage message)
    {
        byte[] bytes = RplMessageCodec.Encode(message, s_node, s_dodagId);
        Assert.Equal(RplMessageCodec.GetEncodedLength(message), bytes.Length);
        Assert.True(RplMessageCodec.VerifyChecksum(s_node, s_dodagId, bytes), name);
        RplMessage back = RplMessageCodec.Read(bytes);
        Assert.Equal(message.GetType(), back.GetType());
        Assert.Equal(Convert.ToHexString(bytes), Convert.ToHexString(RplMessageCodec.Encode(back, s_node, s_dodagId)));
        Assert.Equal(message.Options.Count, back.Options.Count);
        for (int i = 0; i < message.Options.Count; i++)
        {
            Assert.Equal(message.Options[i].GetType(), back.Options[i].GetType());
            if (message.Options[i] is not (DagMetricContainerOption or UnknownRplOption))
            {
                Assert.Equal(message.Options[i], back.Options[i]);
            }
        }

        // The base fields compare equal once options are the same list instance.
        Assert.Equal(message, back with { Options = message.Options });
    }

    [Fact]
    public void Padding_is_skipped()
    {
        // DIS: flags, reserved, Pad1, PadN(3), Pad1
        byte[] icmp = Convert.FromHexString("9B000000" + "0000" + "00" + "0103000000" + "00");
        var dis = Assert.IsType<RplDis>(RplMessageCodec.Read(icmp));
        Assert.Empty(dis.Options);
    }

    [Fact]
    public void Every_truncation_of_every_message_is_a_format_error()
    {
        foreach (object[] row in RoundTripCases())
        {
            byte[] bytes = RplMessageCodec.Encode((RplMessage)row[1], s_node, s_dodagId);
            for (int length = 0; length < bytes.Length; length++)
            {
                bool ok = RplMessageCodec.TryRead(bytes.AsSpan(0, length), out RplMessage? message, out RplFormatError error);

                // A cut exactly between options is still a valid (shorter) message; anything else must fail cleanly.
                if (!ok)
                {
                    Assert.Null(message);
                    Assert.NotEqual(RplFormatError.None, error);
                    Assert.Equal(error, Assert.Throws<RplFormatException>(() => RplMessageCodec.Read(bytes.AsSpan(0, length))).Error);
                }
            }

            Assert.False(RplMessageCodec.TryRead(bytes.AsSpan(0, 3), out _, out RplFormatError shortError));
            Assert.Equal(RplFormatError.Truncated, shortError);
        }
    }

    [Theory]
    [InlineData("9B010000" + "1E01", RplFormatError.Truncated)] // DIO base cut
    [InlineData("9B020000" + "1E4000F1" + "FD00", RplFormatError.Truncated)] // DAO D flag without DODAGID
    [InlineData("9B000000" + "0000" + "040D" + "00000000000000000000000000", RplFormatError.BadOptionLength)] // DODAG config length 13
    [InlineData("9B000000" + "0000" + "0603" + "000000", RplFormatError.BadOptionLength)] // Transit length 3
    [InlineData("9B000000" + "0000" + "0502" + "00C8", RplFormatError.BadPrefixLength)] // Target prefix length 200
    [InlineData("9B000000" + "0000" + "0506" + "0080" + "FD000000", RplFormatError.BadOptionLength)] // /128 target with 4 bytes
    [InlineData("9B000000" + "0000" + "081E" + "81" + "0000000000000000000000000000000000000000000000000000000000", RplFormatError.BadPrefixLength)]
    [InlineData("9B000000" + "0000" + "0705" + "0000000000", RplFormatError.BadOptionLength)] // Solicited info short
    [InlineData("9B000000" + "0000" + "0905" + "0000000000", RplFormatError.BadOptionLength)] // Target descriptor 5
    [InlineData("9B000000" + "0000" + "0130" + "0000", RplFormatError.Truncated)] // PadN overruns
    [InlineData("9B000000" + "0000" + "04", RplFormatError.Truncated)] // option type without length
    [InlineData("9B8A0000" + "00000000", RplFormatError.UnsupportedCode)] // consistency check
    [InlineData("80000000" + "00000000", RplFormatError.NotRpl)] // echo request
    public void Malformed_inputs_give_their_reason(string hex, RplFormatError expected)
    {
        byte[] bytes = Convert.FromHexString(hex);
        Assert.False(RplMessageCodec.TryRead(bytes, out RplMessage? message, out RplFormatError error));
        Assert.Null(message);
        Assert.Equal(expected, error);
        Assert.Equal(expected, Assert.Throws<RplFormatException>(() => RplMessageCodec.Read(bytes)).Error);
    }

    [Fact]
    public void Random_bytes_never_throw_anything_but_format_errors()
    {
        var random = new Random(6550);
        byte[] buffer = new byte[96];
        for (int i = 0; i < 20000; i++)
        {
            int length = random.Next(buffer.Length);
            random.NextBytes(buffer.AsSpan(0, length));
            if (length >= 2)
            {
                buffer[0] = RplConstants.IcmpType;
                buffer[1] = (byte)random.Next(5);
            }

            try
            {
                RplMessageCodec.Read(buffer.AsSpan(0, length));
            }
            catch (RplFormatException)
            {
            }
        }
    }

    private static byte[] WriteNoChecksum(RplMessage message)
    {
        byte[] bytes = new byte[RplMessageCodec.GetEncodedLength(message)];
        Assert.True(RplMessageCodec.TryWrite(message, bytes, out int written));
        Assert.Equal(bytes.Length, written);
        Assert.False(RplMessageCodec.TryWrite(message, new byte[bytes.Length - 1], out _));
        return bytes;
    }
}
