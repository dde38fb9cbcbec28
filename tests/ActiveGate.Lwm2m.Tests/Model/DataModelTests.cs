using ActiveGate.Lwm2m.Model;
using ActiveGate.Lwm2m.Objects;

namespace ActiveGate.Lwm2m.Tests.Model;

public sealed class DataModelTests
{
    private static Lwm2mRecord R(string path, Lwm2mValue value) => new(Lwm2mPath.Parse(path), value);

    private static Lwm2mStatus StatusOf(Action action) => Assert.Throws<Lwm2mException>(action).Status;

    [Fact]
    public void Reads_resources_instances_and_objects()
    {
        var t = new TestModel();
        var one = Assert.Single(t.Model.Read(Lwm2mPath.Parse("/3/0/0"), Lwm2mOrigin.DeviceManagement));
        Assert.Equal("ActiveGate Labs", one.Value.AsString());
        var instance = t.Model.Read(Lwm2mPath.Parse("/3/0"), Lwm2mOrigin.DeviceManagement);
        Assert.Contains(instance, r => r.Path == Lwm2mPath.Parse("/3/0/11/0") && r.Value.AsInteger() == 0);
        Assert.Contains(instance, r => r.Path == Lwm2mPath.Parse("/3/0/13") && r.Value.AsTime() == t.Time.GetUtcNow());
        Assert.Equal(instance.OrderBy(r => r.Path).ToArray(), instance.ToArray());
        Assert.Equal(3, t.Model.Read(Lwm2mPath.Parse("/4/0/4"), Lwm2mOrigin.DeviceManagement).Count);
        Assert.Equal("10.8.0.2", t.Model.Read(Lwm2mPath.Parse("/4/0/4/1"), Lwm2mOrigin.DeviceManagement)[0].Value.AsString());
    }

    [Fact]
    public void Read_errors_map_to_statuses()
    {
        var t = new TestModel();
        Assert.Equal(Lwm2mStatus.NotFound, StatusOf(() => t.Model.Read(Lwm2mPath.Parse("/3/1"), Lwm2mOrigin.DeviceManagement)));
        Assert.Equal(Lwm2mStatus.NotFound, StatusOf(() => t.Model.Read(Lwm2mPath.Parse("/99"), Lwm2mOrigin.DeviceManagement)));
        Assert.Equal(Lwm2mStatus.NotFound, StatusOf(() => t.Model.Read(Lwm2mPath.Parse("/3/0/9"), Lwm2mOrigin.DeviceManagement)));
        Assert.Equal(Lwm2mStatus.MethodNotAllowed, StatusOf(() => t.Model.Read(Lwm2mPath.Parse("/3/0/4"), Lwm2mOrigin.DeviceManagement)));
        Assert.Equal(Lwm2mStatus.Unauthorized, StatusOf(() => t.Model.Read(Lwm2mPath.Parse("/0/0"), Lwm2mOrigin.DeviceManagement)));
        Assert.Equal(Lwm2mStatus.MethodNotAllowed, StatusOf(() => t.Model.Read(Lwm2mPath.Root, Lwm2mOrigin.DeviceManagement)));
        Assert.Equal(Lwm2mStatus.MethodNotAllowed, StatusOf(() => t.Model.Read(Lwm2mPath.Parse("/3"), Lwm2mOrigin.Bootstrap)));
        Assert.NotEmpty(t.Model.Read(Lwm2mPath.Parse("/1"), Lwm2mOrigin.Bootstrap));
    }

    [Fact]
    public void Partial_update_keeps_other_values_and_replace_drops_writable_ones_not_given()
    {
        var t = new TestModel();
        t.Model.Write(Lwm2mPath.Parse("/1/0"), [R("/1/0/2", Lwm2mValue.FromInteger(5))], WriteMode.PartialUpdate, Lwm2mOrigin.DeviceManagement);
        var v = t.Server.GetInstance(0)!.Current;
        Assert.Equal(5, v.GetInteger(2));
        Assert.Equal(300, v.GetInteger(1));

        t.Model.Write(Lwm2mPath.Parse("/1/0"), [R("/1/0/1", Lwm2mValue.FromInteger(60)), R("/1/0/6", Lwm2mValue.FromBoolean(false)), R("/1/0/7", Lwm2mValue.FromString("U"))], WriteMode.Replace, Lwm2mOrigin.DeviceManagement);
        v = t.Server.GetInstance(0)!.Current;
        Assert.Equal(60, v.GetInteger(1));
        Assert.Null(v.GetInteger(2));            // writable, not given → gone
        Assert.Equal(101, v.GetInteger(0));      // read-only → kept
    }

    [Fact]
    public void Write_checks_operations_types_ranges_and_shape()
    {
        var t = new TestModel();
        Assert.Equal(Lwm2mStatus.MethodNotAllowed, StatusOf(() => t.Model.Write(Lwm2mPath.Parse("/3/0/0"), [R("/3/0/0", Lwm2mValue.FromString("x"))], WriteMode.Replace, Lwm2mOrigin.DeviceManagement)));
        Assert.Equal(Lwm2mStatus.BadRequest, StatusOf(() => t.Model.Write(Lwm2mPath.Parse("/1/0/1"), [R("/1/0/1", Lwm2mValue.FromString("soon"))], WriteMode.Replace, Lwm2mOrigin.DeviceManagement)));
        Assert.Equal(Lwm2mStatus.BadRequest, StatusOf(() => t.Model.Write(Lwm2mPath.Parse("/1/0/1"), [R("/1/0/1", Lwm2mValue.FromFloat(1.5))], WriteMode.Replace, Lwm2mOrigin.DeviceManagement)));
        Assert.Equal(Lwm2mStatus.BadRequest, StatusOf(() => t.Model.Write(Lwm2mPath.Parse("/1/0"), [R("/3/0/1", Lwm2mValue.FromInteger(1))], WriteMode.Replace, Lwm2mOrigin.DeviceManagement)));
        Assert.Equal(Lwm2mStatus.NotFound, StatusOf(() => t.Model.Write(Lwm2mPath.Parse("/1/0"), [R("/1/0/99", Lwm2mValue.FromInteger(1))], WriteMode.PartialUpdate, Lwm2mOrigin.DeviceManagement)));
        Assert.Equal(Lwm2mStatus.MethodNotAllowed, StatusOf(() => t.Model.Write(Lwm2mPath.Parse("/1"), [R("/1/0/1", Lwm2mValue.FromInteger(1))], WriteMode.Replace, Lwm2mOrigin.DeviceManagement)));
        // Security mode range 0..4 from the DDF, enforced for the bootstrap server too.
        Assert.Equal(Lwm2mStatus.BadRequest, StatusOf(() => t.Model.Write(Lwm2mPath.Parse("/0/0/2"), [R("/0/0/2", Lwm2mValue.FromInteger(7))], WriteMode.Replace, Lwm2mOrigin.Bootstrap)));
        Assert.Equal(300, t.Server.GetServers()[0].Lifetime.TotalSeconds);
    }

    [Fact]
    public void A_failing_validator_rolls_back_every_staged_change()
    {
        var t = new TestModel();
        int changes = 0;
        t.Model.Changed += (_, _) => changes++;
        using (var tx = t.Model.BeginTransaction(Lwm2mOrigin.DeviceManagement))
        {
            tx.Write(Lwm2mPath.Parse("/1/0/1"), [R("/1/0/1", Lwm2mValue.FromInteger(77))], WriteMode.Replace);
            tx.Write(Lwm2mPath.Parse("/1/0/7"), [R("/1/0/7", Lwm2mValue.FromString("S"))], WriteMode.Replace);  // SMS: unsupported
            var ex = Assert.Throws<Lwm2mException>(() => tx.Commit());
            Assert.Equal(Lwm2mStatus.BadRequest, ex.Status);
            Assert.Contains("Binding", ex.Message, StringComparison.Ordinal);
        }

        Assert.Equal(300, t.Server.GetServers()[0].Lifetime.TotalSeconds);
        Assert.Equal(0, changes);
    }

    [Fact]
    public void Disposing_without_commit_discards()
    {
        var t = new TestModel();
        using (var tx = t.Model.BeginTransaction(Lwm2mOrigin.DeviceManagement))
        {
            tx.Write(Lwm2mPath.Parse("/1/0/1"), [R("/1/0/1", Lwm2mValue.FromInteger(77))], WriteMode.Replace);
            tx.Create(1, null, [R("/1/1/0", Lwm2mValue.FromInteger(5)), R("/1/1/1", Lwm2mValue.FromInteger(60)), R("/1/1/6", Lwm2mValue.FromBoolean(true)), R("/1/1/7", Lwm2mValue.FromString("U"))]);
        }

        Assert.Equal([0], t.Server.InstanceIds);
        Assert.Equal(300, t.Server.GetServers()[0].Lifetime.TotalSeconds);
    }

    [Fact]
    public void Create_and_delete_raise_structure_changes_and_commit_events()
    {
        var t = new TestModel();
        var events = new List<Lwm2mChangedEventArgs>();
        var commits = new List<Lwm2mCommitEventArgs>();
        t.Model.Changed += (_, e) => events.Add(e);
        t.Server.Committed += (_, e) => commits.Add(e);
        int id = t.Model.Create(1, null, [R("/1/1/0", Lwm2mValue.FromInteger(5)), R("/1/1/1", Lwm2mValue.FromInteger(60)), R("/1/1/6", Lwm2mValue.FromBoolean(true)), R("/1/1/7", Lwm2mValue.FromString("U"))], Lwm2mOrigin.DeviceManagement);
        Assert.Equal(1, id);
        Assert.True(Assert.Single(events).StructureChanged);
        Assert.Equal([1], Assert.Single(commits).CreatedInstances);
        Assert.Equal(Lwm2mStatus.BadRequest, StatusOf(() => t.Model.Create(1, 1, [], Lwm2mOrigin.DeviceManagement)));
        Assert.Equal(Lwm2mStatus.MethodNotAllowed, StatusOf(() => t.Model.Create(3, null, [], Lwm2mOrigin.DeviceManagement)));
        t.Model.Delete(Lwm2mPath.Parse("/1/1"), Lwm2mOrigin.DeviceManagement);
        Assert.Equal([1], commits[^1].DeletedInstances);
        Assert.Equal(Lwm2mStatus.NotFound, StatusOf(() => t.Model.Delete(Lwm2mPath.Parse("/1/1"), Lwm2mOrigin.DeviceManagement)));
        Assert.Equal(Lwm2mStatus.MethodNotAllowed, StatusOf(() => t.Model.Delete(Lwm2mPath.Parse("/3/0"), Lwm2mOrigin.DeviceManagement)));
        Assert.Equal(Lwm2mStatus.MethodNotAllowed, StatusOf(() => t.Model.Delete(Lwm2mPath.Parse("/1"), Lwm2mOrigin.DeviceManagement)));
    }

    [Fact]
    public void Bootstrap_delete_of_root_spares_the_bootstrap_account_and_application_objects()
    {
        var t = new TestModel();
        t.Model.Delete(Lwm2mPath.Root, Lwm2mOrigin.Bootstrap);
        Assert.Equal([1], t.Security.InstanceIds);
        Assert.Empty(t.Server.InstanceIds);
        Assert.Equal([0], t.Device.InstanceIds);
        Assert.Equal([0], t.Connectivity.InstanceIds);
    }

    [Fact]
    public void Bootstrap_write_creates_missing_instances_and_may_write_read_only_resources()
    {
        var t = new TestModel();
        t.Model.Write(Lwm2mPath.Parse("/0/5"), [R("/0/5/0", Lwm2mValue.FromString("coap://[::1]:5683")), R("/0/5/1", Lwm2mValue.FromBoolean(false)), R("/0/5/2", Lwm2mValue.FromInteger(3)), R("/0/5/10", Lwm2mValue.FromInteger(7))], WriteMode.Replace, Lwm2mOrigin.Bootstrap);
        Assert.Equal(7, t.Security.ServerAccount(7)!.ShortServerId);
        t.Model.Write(Lwm2mPath.Parse("/1"), [R("/1/3/0", Lwm2mValue.FromInteger(7)), R("/1/3/1", Lwm2mValue.FromInteger(120)), R("/1/3/7", Lwm2mValue.FromString("U"))], WriteMode.Replace, Lwm2mOrigin.Bootstrap);
        Assert.Equal(120, t.Server.GetServer(7)!.Lifetime.TotalSeconds);
    }

    [Fact]
    public void Execute_runs_handlers_with_parsed_arguments_and_rejects_bad_ones()
    {
        var t = new TestModel();
        int reboots = 0;
        t.Device.RebootRequested += (_, _) => reboots++;
        Assert.Equal(Lwm2mStatus.Changed, t.Model.Execute(Lwm2mPath.Parse("/3/0/4"), "", Lwm2mOrigin.DeviceManagement));
        Assert.Equal(1, reboots);
        Assert.Equal(Lwm2mStatus.MethodNotAllowed, StatusOf(() => t.Model.Execute(Lwm2mPath.Parse("/3/0/0"), "", Lwm2mOrigin.DeviceManagement)));
        Assert.Equal(Lwm2mStatus.BadRequest, StatusOf(() => t.Model.Execute(Lwm2mPath.Parse("/3/0/4"), "0='unterminated", Lwm2mOrigin.DeviceManagement)));
        var args = ExecuteArguments.Parse("0,1='http://x/y',2=''");
        Assert.Equal(3, args.Items.Count);
        Assert.True(args.TryGet(1, out var v) && v == "http://x/y");
        Assert.True(args.TryGet(0, out var none) && none is null);
        Assert.Throws<Lwm2mException>(() => ExecuteArguments.Parse("10"));
        Assert.Throws<Lwm2mException>(() => ExecuteArguments.Parse("0,"));
    }

    [Fact]
    public void Custom_object_from_DDF_with_validator_and_commit_event_is_a_few_lines()
    {
        // The shape the Transport Management Policy object will take: multi-instance, persistent,
        // validated, and acting only after commit.
        const string ddf = """
            <LWM2M><Object ObjectType="MODefinition"><Name>Transport Management Policy</Name><ObjectID>32000</ObjectID>
            <ObjectVersion>1.0</ObjectVersion><MultipleInstances>Multiple</MultipleInstances><Mandatory>Optional</Mandatory><Resources>
            <Item ID="0"><Name>Service Name</Name><Operations>RW</Operations><MultipleInstances>Single</MultipleInstances><Mandatory>Mandatory</Mandatory><Type>String</Type></Item>
            <Item ID="1"><Name>Address</Name><Operations>RW</Operations><MultipleInstances>Single</MultipleInstances><Mandatory>Mandatory</Mandatory><Type>String</Type></Item>
            <Item ID="2"><Name>Port</Name><Operations>RW</Operations><MultipleInstances>Single</MultipleInstances><Mandatory>Mandatory</Mandatory><Type>Integer</Type><RangeEnumeration>1..65535</RangeEnumeration></Item>
            </Resources></Object></LWM2M>
            """;
        var definition = DdfLoader.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(ddf))).Single();
        var t = new TestModel();
        var policy = t.Model.Add(new Lwm2mObjectEnabler(definition, _ => new Lwm2mInstance())
        {
            Persistent = true,
            Validator = (view, _) => view.GetString(1) is { Length: > 0 } ? null : "Address is required.",
        });
        var applied = new List<(string?, long?)>();
        policy.Committed += (_, e) =>
        {
            foreach (int id in e.ChangedInstances)
            {
                var v = policy.GetInstance(id)!.Current;
                applied.Add((v.GetString(1), v.GetInteger(2)));
            }
        };

        int id = t.Model.Create(32000, null, [R("/32000/0/0", Lwm2mValue.FromString("onem2m")), R("/32000/0/1", Lwm2mValue.FromString("10.0.0.5")), R("/32000/0/2", Lwm2mValue.FromInteger(8282))], Lwm2mOrigin.DeviceManagement);
        Assert.Equal([("10.0.0.5", 8282L)], applied);
        Assert.Equal(Lwm2mStatus.BadRequest, StatusOf(() => t.Model.Write(new Lwm2mPath(32000, id, 2), [R($"/32000/{id}/2", Lwm2mValue.FromInteger(70000))], WriteMode.Replace, Lwm2mOrigin.DeviceManagement)));
        Assert.Equal(Lwm2mStatus.BadRequest, StatusOf(() => t.Model.Write(new Lwm2mPath(32000, id, 1), [R($"/32000/{id}/1", Lwm2mValue.FromString(""))], WriteMode.Replace, Lwm2mOrigin.DeviceManagement)));
        Assert.Single(applied);
    }

    [Fact]
    public void Discover_lists_instances_resources_and_dimensions()
    {
        var t = new TestModel();
        var nodes = t.Model.Discover(Lwm2mPath.Parse("/3/0"), Lwm2mOrigin.DeviceManagement);
        Assert.Equal(new Lwm2mPath(3, 0), nodes[0].Path);
        Assert.Contains(nodes, n => n.Path == Lwm2mPath.Parse("/3/0/4") && n.Dimension is null);
        Assert.Contains(nodes, n => n.Path == Lwm2mPath.Parse("/3/0/11") && n.Dimension == 1);
        Assert.Equal(Lwm2mStatus.Unauthorized, StatusOf(() => t.Model.Discover(Lwm2mPath.Parse("/0"), Lwm2mOrigin.DeviceManagement)));
    }
}
