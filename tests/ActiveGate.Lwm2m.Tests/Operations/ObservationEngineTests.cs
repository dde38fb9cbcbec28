using ActiveGate.Lwm2m.Model;
using ActiveGate.Lwm2m.Operations;

namespace ActiveGate.Lwm2m.Tests.Operations;

public sealed class ObservationEngineTests : IDisposable
{
    private static readonly Lwm2mPath s_battery = Lwm2mPath.Parse("/3/0/9");
    private readonly TestModel _t = new();
    private readonly AttributeStore _attributes = new();
    private readonly List<Notification> _sent = [];
    private readonly ObservationEngine _engine;
    private NotificationAttributes _defaults = NotificationAttributes.Empty;

    public ObservationEngineTests()
    {
        _engine = new ObservationEngine(_t.Model, _attributes, _t.Time, () => _defaults, n =>
        {
            _sent.Add(n);
            return ValueTask.CompletedTask;
        });
        Battery(50);
    }

    public void Dispose() => _engine.Dispose();

    private void Battery(long value) => _t.Device.GetInstance(0)!.SetValue(9, Lwm2mValue.FromInteger(value));

    private Observation Observe(Lwm2mPath path, string token = "01") =>
        _engine.Add(token, [path], 0, _t.Model.Read(path, Lwm2mOrigin.DeviceManagement));

    private void Attr(params string[] q) => _attributes.Write(s_battery, AttributeChanges.Parse(q), _t.Model.GetObject(3)!.Resources[9]);

    private long LastValue => _sent[^1].Records![0].Value.AsInteger();

    private void Advance(int seconds) => _t.Time.Advance(TimeSpan.FromSeconds(seconds));

    [Fact]
    public void Without_attributes_every_change_is_notified_at_once()
    {
        Observe(s_battery);
        Battery(51);
        Battery(52);
        Assert.Equal(2, _sent.Count);
        Assert.Equal(52, LastValue);
    }

    [Fact]
    public void Pmin_holds_changes_back_and_sends_the_latest_value()
    {
        Attr("pmin=10");
        Observe(s_battery);
        Advance(2);
        Battery(60);
        Battery(61);
        Assert.Empty(_sent);
        Advance(7);
        Assert.Empty(_sent);
        Advance(1);
        Assert.Equal(61, LastValue);
        Assert.Single(_sent);
        Advance(100);
        Assert.Single(_sent);
    }

    [Fact]
    public void Pmax_notifies_without_change_and_rearms()
    {
        Attr("pmax=30");
        Observe(s_battery);
        Advance(29);
        Assert.Empty(_sent);
        Advance(1);
        Assert.Single(_sent);
        Battery(70);        // resets the pmax period
        Assert.Equal(2, _sent.Count);
        Advance(29);
        Assert.Equal(2, _sent.Count);
        Advance(1);
        Assert.Equal(3, _sent.Count);
    }

    [Fact]
    public void Pmax_below_pmin_is_ignored_and_server_defaults_apply()
    {
        _defaults = new NotificationAttributes { MinPeriod = 20, MaxPeriod = 10 };
        Observe(s_battery);
        Advance(100);
        Assert.Empty(_sent);
        Battery(1);
        Assert.Single(_sent);   // 100 s since the last notification > pmin
    }

    [Fact]
    public void Gt_notifies_on_crossing_in_either_direction_only()
    {
        Attr("gt=55");
        Observe(s_battery);
        Battery(54);
        Assert.Empty(_sent);
        Battery(56);
        Assert.Equal(56, LastValue);
        Battery(80);
        Assert.Single(_sent);
        Battery(55);
        Assert.Equal(2, _sent.Count);
        Assert.Equal(55, LastValue);
    }

    [Fact]
    public void Lt_and_st_are_ored()
    {
        Attr("lt=20", "st=10");
        Observe(s_battery);
        Battery(45);             // |45-50| < 10, above lt
        Assert.Empty(_sent);
        Battery(39);             // moved 11 from the last notified (50)
        Assert.Equal(39, LastValue);
        Battery(30);             // 9 from 39
        Assert.Single(_sent);
        Battery(19);             // crosses lt
        Assert.Equal(19, LastValue);
    }

    [Fact]
    public void Thresholds_combine_with_pmin()
    {
        Attr("gt=55", "pmin=5");
        Observe(s_battery);
        Battery(60);
        Assert.Empty(_sent);
        Advance(5);
        Assert.Equal(60, LastValue);
    }

    [Fact]
    public void Epmax_samples_values_that_change_silently()
    {
        _attributes.Write(Lwm2mPath.Parse("/3/0/13"), AttributeChanges.Parse(["epmax=5"]), null);
        Observe(Lwm2mPath.Parse("/3/0/13"));
        Advance(4);
        Assert.Empty(_sent);
        Advance(1);
        var sent = Assert.Single(_sent);
        Assert.Equal(_t.Time.GetUtcNow(), sent.Records![0].Value.AsTime());
    }

    [Fact]
    public void Epmin_limits_how_often_values_are_sampled()
    {
        Attr("epmin=10");
        Observe(s_battery);
        Advance(1);
        Battery(10);
        Battery(11);
        Assert.Empty(_sent);
        Advance(9);
        Assert.Equal(11, LastValue);
    }

    [Fact]
    public void Instance_observation_sees_resource_changes_and_unchanged_values_are_not_sent()
    {
        Observe(Lwm2mPath.Parse("/3/0"));
        _t.Device.GetInstance(0)!.NotifyChanged(10);   // memory free: same value
        Assert.Empty(_sent);
        Battery(49);
        Assert.Contains(_sent[^1].Records!, r => r.Path == s_battery && r.Value.AsInteger() == 49);
    }

    [Fact]
    public void Cancel_by_token_and_by_path_stop_notifications()
    {
        Observe(s_battery, "aa");
        Assert.True(_engine.Cancel("aa"));
        Assert.False(_engine.Cancel("aa"));
        Battery(1);
        Assert.Empty(_sent);
        Observe(s_battery, "bb");
        Assert.Equal(1, _engine.CancelByPath(s_battery));
        Battery(2);
        Assert.Empty(_sent);
        Assert.Empty(_engine.Observations);
    }

    [Fact]
    public void Deleting_the_observed_instance_ends_the_observation_with_4_04()
    {
        var path = Lwm2mPath.Parse("/1/0/1");
        Observe(path);
        _t.Model.Delete(Lwm2mPath.Parse("/1/0"), Lwm2mOrigin.DeviceManagement);
        var last = Assert.Single(_sent);
        Assert.Equal(Lwm2mStatus.NotFound, last.Status);
        Assert.Empty(_engine.Observations);
    }

    [Fact]
    public void Composite_observation_reports_all_paths()
    {
        _engine.Add("cc", [s_battery, Lwm2mPath.Parse("/1/0/1")], 110, []);
        Battery(3);
        var records = Assert.Single(_sent).Records!;
        Assert.Equal([s_battery, Lwm2mPath.Parse("/1/0/1")], records.Select(r => r.Path));
    }
}
