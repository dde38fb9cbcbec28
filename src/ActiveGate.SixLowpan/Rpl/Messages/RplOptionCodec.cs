using System.Buffers.Binary;
using ActiveGate.SixLowpan.Ipv6;

namespace ActiveGate.SixLowpan.Rpl.Messages;

/// <summary>Reads the option area of an RPL control message (RFC 6550 §6.7), dropping Pad1/PadN.</summary>
internal static class RplOptionCodec
{
    public static bool TryReadAll(ReadOnlySpan<byte> area, out List<RplOption> options, out RplFormatError error)
    {
        options = [];
        int offset = 0;
        while (offset < area.Length)
        {
            byte type = area[offset];
            if (type == RplOptionType.Pad1)
            {
                offset++;
                continue;
            }

            if (offset + 2 > area.Length)
            {
                error = RplFormatError.Truncated;
                return false;
            }

            int length = area[offset + 1];
            if (offset + 2 + length > area.Length)
            {
                error = RplFormatError.Truncated;
                return false;
            }

            ReadOnlySpan<byte> data = area.Slice(offset + 2, length);
            offset += 2 + length;
            if (type == RplOptionType.PadN)
            {
                continue;
            }

            if (!TryReadOne(type, data, out RplOption? option, out error))
            {
                return false;
            }

            options.Add(option!);
        }

        error = RplFormatError.None;
        return true;
    }

    private static bool TryReadOne(byte type, ReadOnlySpan<byte> data, out RplOption? option, out RplFormatError error)
    {
        option = null;
        error = RplFormatError.BadOptionLength;
        switch (type)
        {
            case RplOptionType.DagMetricContainer:
                option = new DagMetricContainerOption(data.ToArray());
                break;

            case RplOptionType.RouteInformation:
                {
                    if (data.Length < 6)
                    {
                        return false;
                    }

                    if (!RplPrefixBytes.TryRead(data[6..], data[0], out Ipv6Prefix prefix))
                    {
                        error = data[0] > 128 ? RplFormatError.BadPrefixLength : RplFormatError.BadOptionLength;
                        return false;
                    }

                    option = new RouteInformationOption(prefix, (byte)((data[1] >> 3) & 0x03), BinaryPrimitives.ReadUInt32BigEndian(data[2..]));
                    break;
                }

            case RplOptionType.DodagConfiguration:
                if (data.Length != DodagConfigurationOption.Length)
                {
                    return false;
                }

                option = new DodagConfigurationOption
                {
                    Flags = (byte)(data[0] >> 4),
                    AuthenticationEnabled = (data[0] & 0x08) != 0,
                    PathControlSize = (byte)(data[0] & 0x07),
                    DioIntervalDoublings = data[1],
                    DioIntervalMin = data[2],
                    DioRedundancyConstant = data[3],
                    MaxRankIncrease = BinaryPrimitives.ReadUInt16BigEndian(data[4..]),
                    MinHopRankIncrease = BinaryPrimitives.ReadUInt16BigEndian(data[6..]),
                    ObjectiveCodePoint = BinaryPrimitives.ReadUInt16BigEndian(data[8..]),
                    Reserved = data[10],
                    DefaultLifetime = data[11],
                    LifetimeUnit = BinaryPrimitives.ReadUInt16BigEndian(data[12..]),
                };
                break;

            case RplOptionType.Target:
                {
                    if (data.Length < 2)
                    {
                        return false;
                    }

                    if (!RplPrefixBytes.TryRead(data[2..], data[1], out Ipv6Prefix target))
                    {
                        error = data[1] > 128 ? RplFormatError.BadPrefixLength : RplFormatError.BadOptionLength;
                        return false;
                    }

                    option = new RplTargetOption(target, data[0]);
                    break;
                }

            case RplOptionType.TransitInformation:
                if (data.Length != 4 && data.Length != 20)
                {
                    return false;
                }

                option = new TransitInformationOption
                {
                    External = (data[0] & 0x80) != 0,
                    Flags = (byte)(data[0] & 0x7F),
                    PathControl = data[1],
                    PathSequence = data[2],
                    PathLifetime = data[3],
                    ParentAddress = data.Length == 20 ? Ipv6Address.Read(data[4..]) : null,
                };
                break;

            case RplOptionType.SolicitedInformation:
                if (data.Length != SolicitedInformationOption.Length)
                {
                    return false;
                }

                option = new SolicitedInformationOption
                {
                    InstanceId = data[0],
                    VersionPredicate = (data[1] & 0x80) != 0,
                    InstancePredicate = (data[1] & 0x40) != 0,
                    DodagIdPredicate = (data[1] & 0x20) != 0,
                    Flags = (byte)(data[1] & 0x1F),
                    DodagId = Ipv6Address.Read(data[2..]),
                    Version = data[18],
                };
                break;

            case RplOptionType.PrefixInformation:
                {
                    if (data.Length != PrefixInformationOption.Length)
                    {
                        return false;
                    }

                    if (data[0] > 128)
                    {
                        error = RplFormatError.BadPrefixLength;
                        return false;
                    }

                    Ipv6Address field = Ipv6Address.Read(data[14..]);
                    option = new PrefixInformationOption
                    {
                        Prefix = new Ipv6Prefix(field, data[0]),
                        OnLink = (data[1] & 0x80) != 0,
                        Autonomous = (data[1] & 0x40) != 0,
                        RouterAddress = (data[1] & 0x20) != 0,
                        ValidLifetime = BinaryPrimitives.ReadUInt32BigEndian(data[2..]),
                        PreferredLifetime = BinaryPrimitives.ReadUInt32BigEndian(data[6..]),
                        PrefixField = field,
                    };
                    break;
                }

            case RplOptionType.TargetDescriptor:
                if (data.Length != 4)
                {
                    return false;
                }

                option = new TargetDescriptorOption(BinaryPrimitives.ReadUInt32BigEndian(data));
                break;

            default:
                option = new UnknownRplOption(type, data.ToArray());
                break;
        }

        error = RplFormatError.None;
        return true;
    }
}
