using ActiveGate.Simulator.Devices;
using Microsoft.Extensions.Time.Testing;

namespace ActiveGate.Simulator.Tests.Devices;

public class MeterChannelTests
{
    private static readonly DateTimeOffset s_midnight = new(2026, 11, 24, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Energy_only_grows_and_current_stays_below_the_rating_over_a_day()
    {
        var time = new FakeTimeProvider(s_midnight);
        var device = new SimulatedDevice(DeviceKind.ActiveDin, 1, 0x00124B000A020001, time, seed: 7);
        var last = device.Channels.Select(c => c.Read().EnergyWh).ToArray();
        for (int minute = 0; minute < 24 * 60; minute += 5)
        {
            time.Advance(TimeSpan.FromMinutes(5));
            for (int c = 0; c < device.Channels.Count; c++)
            {
                ChannelReading r = device.Channels[c].Read();
                Assert.True(r.EnergyWh >= last[c], "energy went backwards");
                Assert.InRange(r.CurrentA, 0, 20);
                Assert.InRange(r.VoltageV, 220, 240);
                Assert.InRange(r.PowerW, 0, 20 * 240);
                last[c] = r.EnergyWh;
            }
        }
    }

    [Fact]
    public void Evening_load_is_higher_than_at_night_and_energy_matches_the_integral()
    {
        var time = new FakeTimeProvider(s_midnight.AddHours(3));
        var channel = new MeterChannel(1, 16, new LoadProfile(50, 2000, 7.5, 19, 0, 1), time);
        double night = channel.Read().PowerW;
        double e0 = channel.Read().EnergyWh;
        time.Advance(TimeSpan.FromHours(1)); // 03:00-04:00: almost only base load
        double e1 = channel.Read().EnergyWh;
        Assert.InRange(e1 - e0, 50, 80);
        time.SetUtcNow(s_midnight.AddHours(19));
        double evening = channel.Read().PowerW;
        Assert.True(evening > 10 * night, $"evening {evening} W vs night {night} W");
        Assert.True(channel.Read().EnergyWh > e1);
    }

    [Fact]
    public void Relay_off_means_zero_power_and_current_and_a_frozen_energy_counter()
    {
        var time = new FakeTimeProvider(s_midnight.AddHours(19));
        var channel = new MeterChannel(1, 16, new LoadProfile(100, 3000, 7.5, 19, 0.05, 2), time);
        int changes = 0;
        channel.RelayChanged += (_, _) => changes++;
        Assert.True(channel.Read().PowerW > 100);

        channel.SetRelay(false);
        ChannelReading off = channel.Read();
        time.Advance(TimeSpan.FromHours(2));
        ChannelReading later = channel.Read();
        Assert.Equal((0.0, 0.0, false), (later.PowerW, later.CurrentA, later.RelayOn));
        Assert.True(later.VoltageV > 200);
        Assert.Equal(off.EnergyWh, later.EnergyWh);

        channel.SetRelay(false); // no change, no event
        channel.SetRelay(true);
        Assert.Equal(2, changes);
        Assert.True(channel.Read().PowerW > 0);
    }

    [Fact]
    public void Load_saturates_below_the_rating()
    {
        var time = new FakeTimeProvider(s_midnight.AddHours(19));
        var channel = new MeterChannel(1, 16, new LoadProfile(10_000, 10_000, 7.5, 19, 0, 3), time);
        ChannelReading r = channel.Read();
        Assert.InRange(r.CurrentA, 15, 16);
    }
}
