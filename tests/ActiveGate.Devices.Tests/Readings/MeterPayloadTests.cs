using System.Text;
using ActiveGate.Devices.Model;
using ActiveGate.Devices.Readings;

namespace ActiveGate.Devices.Tests.Readings;

public sealed class MeterPayloadTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_meter_notification_becomes_one_sample_with_every_quantity()
    {
        ChannelSample sample = MeterPayload.ParseMeter("""{"seq":42,"p":512.3,"e":10234.5,"i":2.31,"v":229.8,"relay":1}"""u8, "00124b00060db2a1", 2, s_now);

        Assert.Equal(new ChannelSample("00124b00060db2a1", 2, 0, 42, s_now, 512.3, 10234.5, 2.31, 229.8, true), sample);
        Assert.Equal("00124b00060db2a1-2-0-42", sample.Key);
    }

    [Fact]
    public void Optional_quantities_may_be_missing_and_unknown_members_are_ignored()
    {
        ChannelSample sample = MeterPayload.ParseMeter("""{"future":[1,2],"seq":0,"v":230}"""u8, "d", 1, s_now);

        Assert.Equal(230, sample.VoltageVolts);
        Assert.Null(sample.PowerWatts);
        Assert.Null(sample.RelayOn);
    }

    [Theory]
    [InlineData("")]
    [InlineData("42")]
    [InlineData("""{"p":1}""")]
    [InlineData("""{"seq":-1}""")]
    [InlineData("""{"seq":1.5}""")]
    [InlineData("""{"seq":1,"p":"high"}""")]
    [InlineData("""{"seq":1,"e":-5}""")]
    [InlineData("""{"seq":1,"relay":2}""")]
    [InlineData("""{"seq":1}{"seq":2}""")]
    [InlineData("""{"seq":1,"x":{"y":{"z":1}}}""")]
    [InlineData("""{"seq":1""")]
    public void Bad_meter_payloads_are_rejected_with_a_reason(string json)
    {
        var ex = Assert.Throws<DevicePayloadException>(() => MeterPayload.ParseMeter(Encoding.UTF8.GetBytes(json), "d", 1, s_now));
        Assert.Contains("meter", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_oversized_meter_payload_is_rejected_before_parsing()
    {
        byte[] huge = Encoding.UTF8.GetBytes("{\"seq\":1,\"pad\":\"" + new string('x', 1000) + "\"}");

        Assert.Throws<DevicePayloadException>(() => MeterPayload.ParseMeter(huge, "d", 1, s_now));
    }

    [Theory]
    [InlineData("512.3", 512.3)]
    [InlineData("0", 0)]
    [InlineData("7\n", 7)]
    public void Single_quantities_are_plain_decimals(string text, double expected)
    {
        Assert.Equal(expected, MeterPayload.ParseQuantity(Encoding.UTF8.GetBytes(text), "power"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("12,5")]
    [InlineData("NaN")]
    [InlineData("1e400")]
    [InlineData("12 W")]
    public void Bad_single_quantities_are_rejected(string text)
    {
        Assert.Throws<DevicePayloadException>(() => MeterPayload.ParseQuantity(Encoding.UTF8.GetBytes(text), "power"));
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData("on", true)]
    [InlineData("0", false)]
    [InlineData("off", false)]
    public void Relay_states(string text, bool expected)
    {
        Assert.Equal(expected, MeterPayload.ParseRelay(Encoding.UTF8.GetBytes(text)));
    }

    [Fact]
    public void A_bad_relay_state_is_rejected()
    {
        Assert.Throws<DevicePayloadException>(() => MeterPayload.ParseRelay("maybe"u8));
    }

    [Fact]
    public void The_devices_own_measurement_time_is_used_when_its_clock_is_plausible()
    {
        DateTimeOffset measured = s_now.AddMilliseconds(-350);
        ChannelSample sample = MeterPayload.ParseMeter(Encoding.UTF8.GetBytes($"{{\"seq\":1,\"t\":{measured.ToUnixTimeMilliseconds()}}}"), "d", 1, s_now);
        Assert.Equal(measured.ToUnixTimeMilliseconds(), sample.Timestamp.ToUnixTimeMilliseconds());

        // A clock that was never set (1970 after a reboot): the arrival time is the better guess.
        ChannelSample unsynchronised = MeterPayload.ParseMeter("""{"seq":2,"t":12345}"""u8, "d", 1, s_now);
        Assert.Equal(s_now, unsynchronised.Timestamp);
        Assert.Throws<DevicePayloadException>(() => MeterPayload.ParseMeter("""{"seq":3,"t":"now"}"""u8, "d", 1, s_now));
    }
}
