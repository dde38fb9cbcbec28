namespace ActiveGate.Lwm2m.Model;

/// <summary>
/// One enabler per object id (Leshan's ObjectEnabler): holds the instances and decides which may be
/// created. Adding a custom object is: load its DDF, construct an enabler (optionally with an
/// instance factory and <see cref="Validator"/>), set <see cref="Persistent"/>, subscribe to
/// <see cref="Committed"/> to act once a server's change is validated and applied.
/// </summary>
public class Lwm2mObjectEnabler
{
    private readonly SortedDictionary<int, Lwm2mInstance> _instances = new();
    private readonly Func<int, Lwm2mInstance>? _instanceFactory;

    /// <param name="definition">The object's DDF definition.</param>
    /// <param name="instanceFactory">
    /// Makes the instance for a server Create (or a Bootstrap-Write to a missing instance). Null
    /// means instances come only from the application; a server Create is refused with 4.05.
    /// </param>
    public Lwm2mObjectEnabler(ObjectDefinition definition, Func<int, Lwm2mInstance>? instanceFactory = null)
    {
        ArgumentNullException.ThrowIfNull(definition);
        Definition = definition;
        _instanceFactory = instanceFactory;
    }

    public ObjectDefinition Definition { get; }

    public int ObjectId => Definition.Id;

    /// <summary>True when server-written values of this object are saved to the state store and restored at start.</summary>
    public bool Persistent { get; init; }

    /// <summary>Whether a server can create instances.</summary>
    public bool CanCreate => _instanceFactory is not null;

    /// <summary>
    /// Object-level check run on the proposed state of every changed instance before commit; return a
    /// reason to refuse the whole transaction with 4.00 (for example "port out of range").
    /// </summary>
    public Func<Lwm2mInstanceView, Lwm2mOrigin, string?>? Validator { get; init; }

    /// <summary>
    /// Object-wide check run once per transaction that touched this object, after every instance
    /// passed <see cref="Validator"/>: it sees every instance as it would be after the commit
    /// (stored values only, ascending ids), so rules across instances (unique names) hold even when
    /// one Write-Composite changes several instances. Return a reason to refuse with 4.00.
    /// </summary>
    public Func<IReadOnlyList<Lwm2mInstanceView>, Lwm2mOrigin, string?>? ObjectValidator { get; init; }

    /// <summary>Raised after a transaction that touched this object was committed (outside the model lock).</summary>
    public event EventHandler<Lwm2mCommitEventArgs>? Committed;

    /// <summary>The data model this object belongs to.</summary>
    public Lwm2mDataModel? Model { get; internal set; }

    /// <summary>Instance ids in ascending order.</summary>
    public IReadOnlyList<int> InstanceIds
    {
        get
        {
            var model = Model;
            if (model is null)
            {
                return _instances.Keys.ToArray();
            }

            lock (model.Gate)
            {
                return _instances.Keys.ToArray();
            }
        }
    }

    public Lwm2mInstance? GetInstance(int instanceId)
    {
        var model = Model;
        if (model is null)
        {
            return _instances.GetValueOrDefault(instanceId);
        }

        lock (model.Gate)
        {
            return _instances.GetValueOrDefault(instanceId);
        }
    }

    /// <summary>Adds an instance from the application side (factory configuration, bridged devices).</summary>
    public TInstance AddInstance<TInstance>(int instanceId, TInstance instance)
        where TInstance : Lwm2mInstance
    {
        ArgumentNullException.ThrowIfNull(instance);
        var model = Model;
        if (model is null)
        {
            Attach(instanceId, instance);
        }
        else
        {
            lock (model.Gate)
            {
                Attach(instanceId, instance);
            }

            model.RaiseChanged([new Lwm2mPath(ObjectId, instanceId)], structureChanged: true, Lwm2mOrigin.Local);
        }

        return instance;
    }

    /// <summary>Removes an instance from the application side.</summary>
    public bool RemoveInstance(int instanceId)
    {
        var model = Model;
        bool removed;
        if (model is null)
        {
            removed = DetachUnlocked(instanceId);
        }
        else
        {
            lock (model.Gate)
            {
                removed = DetachUnlocked(instanceId);
            }

            if (removed)
            {
                model.RaiseChanged([new Lwm2mPath(ObjectId, instanceId)], structureChanged: true, Lwm2mOrigin.Local);
            }
        }

        return removed;
    }

    /// <summary>Creates (does not attach) the instance object a server Create will fill.</summary>
    protected internal virtual Lwm2mInstance CreateInstance(int instanceId, Lwm2mOrigin origin)
    {
        if (_instanceFactory is not null)
        {
            return _instanceFactory(instanceId);
        }

        // The bootstrap server may create instances of any object it may write (Core TS 6.1.7.4).
        return origin == Lwm2mOrigin.Bootstrap
            ? new Lwm2mInstance()
            : throw new Lwm2mException(Lwm2mStatus.MethodNotAllowed, $"Object {ObjectId} does not allow Create.");
    }

    internal void OnCommitted(Lwm2mCommitEventArgs args) => Committed?.Invoke(this, args);

    internal IEnumerable<KeyValuePair<int, Lwm2mInstance>> InstancesUnlocked => _instances;

    internal Lwm2mInstance? GetInstanceUnlocked(int instanceId) => _instances.GetValueOrDefault(instanceId);

    internal void Attach(int instanceId, Lwm2mInstance instance)
    {
        if ((uint)instanceId > Lwm2mPath.MaxId)
        {
            throw new ArgumentOutOfRangeException(nameof(instanceId));
        }

        if (!Definition.Multiple && _instances.Count > 0 && !_instances.ContainsKey(instanceId))
        {
            throw new Lwm2mException(Lwm2mStatus.BadRequest, $"Object {ObjectId} is single-instance.");
        }

        if (!_instances.TryAdd(instanceId, instance))
        {
            throw new Lwm2mException(Lwm2mStatus.BadRequest, $"Instance /{ObjectId}/{instanceId} already exists.");
        }

        instance.Id = instanceId;
        instance.Owner = this;
    }

    internal bool DetachUnlocked(int instanceId)
    {
        if (!_instances.Remove(instanceId, out var instance))
        {
            return false;
        }

        instance.Owner = null;
        return true;
    }

    internal int FirstFreeInstanceIdUnlocked(IEnumerable<int> reserved)
    {
        var taken = new HashSet<int>(_instances.Keys);
        taken.UnionWith(reserved);
        for (int id = 0; id <= Lwm2mPath.MaxId; id++)
        {
            if (!taken.Contains(id))
            {
                return id;
            }
        }

        throw new Lwm2mException(Lwm2mStatus.InternalServerError, "No free instance id.");
    }
}

/// <summary>What a committed transaction changed in one object.</summary>
public sealed class Lwm2mCommitEventArgs : EventArgs
{
    public Lwm2mCommitEventArgs(int objectId, Lwm2mOrigin origin, IReadOnlyList<int> created, IReadOnlyList<int> deleted, IReadOnlyList<Lwm2mPath> changedPaths)
    {
        ObjectId = objectId;
        Origin = origin;
        CreatedInstances = created;
        DeletedInstances = deleted;
        ChangedPaths = changedPaths;
    }

    public int ObjectId { get; }
    public Lwm2mOrigin Origin { get; }
    public IReadOnlyList<int> CreatedInstances { get; }
    public IReadOnlyList<int> DeletedInstances { get; }

    /// <summary>Resource paths (and instance paths for created/deleted instances) that changed.</summary>
    public IReadOnlyList<Lwm2mPath> ChangedPaths { get; }

    /// <summary>Ids of instances whose values changed or that were created.</summary>
    public IEnumerable<int> ChangedInstances => ChangedPaths.Where(p => p.Length >= 2).Select(p => p.InstanceId).Except(DeletedInstances).Distinct();
}

/// <summary>Values or structure of the model changed (observers and the registration engine listen).</summary>
public sealed class Lwm2mChangedEventArgs : EventArgs
{
    public Lwm2mChangedEventArgs(IReadOnlyList<Lwm2mPath> paths, bool structureChanged, Lwm2mOrigin origin)
    {
        Paths = paths;
        StructureChanged = structureChanged;
        Origin = origin;
    }

    public IReadOnlyList<Lwm2mPath> Paths { get; }

    /// <summary>True when instances were created or deleted (the Register/Update link payload changes).</summary>
    public bool StructureChanged { get; }

    public Lwm2mOrigin Origin { get; }
}
