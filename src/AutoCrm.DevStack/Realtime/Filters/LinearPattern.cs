using System.Buffers;
using System.Globalization;

namespace AutoCrm.DevStack.Realtime.Filters;

/// <summary>The outcome of running a <see cref="LinearPattern"/> within a step budget.</summary>
internal enum PatternResult
{
    NotMatched,
    Matched,

    /// <summary>The budget ran out before the answer was known.</summary>
    OutOfBudget,
}

/// <summary>
/// A compiled <c>match</c>/<c>imatch</c>/<c>like</c>/<c>ilike</c> pattern run by a Thompson/Pike automaton simulation: every
/// text position advances a set of automaton states at once, so a match costs at most (text length + 1) × (program size)
/// steps whatever the pattern (no backtracking, no state explosion, no lazily built DFA whose construction an adversarial
/// pattern can make slow), and the caller's step budget is counted exactly. A regular expression searches anywhere in the
/// text, like PostgreSQL's <c>~</c>; a LIKE pattern must match the whole text.
/// </summary>
internal sealed class LinearPattern
{
    private readonly Instruction[] _program;
    private readonly bool _ignoreCase;
    private readonly bool _anchoredAtStart;

    private LinearPattern(Instruction[] program, bool ignoreCase)
    {
        _program = program;
        _ignoreCase = ignoreCase;
        _anchoredAtStart = program.Length > 0 && program[0].Op == Op.AssertStart;
    }

    /// <summary>The number of automaton states (instructions).</summary>
    public int Size => _program.Length;

    /// <summary>Compiles a regular expression; throws <see cref="FormatException"/> with a message for the client.</summary>
    public static LinearPattern FromRegex(string pattern, bool ignoreCase, int maxSize) =>
        new(Compiler.Compile(PatternParser.ParseRegex(pattern), maxSize), ignoreCase);

    /// <summary>Compiles an SQL LIKE pattern; throws <see cref="FormatException"/> when it is too large.</summary>
    public static LinearPattern FromLike(string pattern, bool ignoreCase, int maxSize) =>
        new(Compiler.Compile(PatternParser.ParseLike(pattern), maxSize), ignoreCase);

    /// <summary>Runs the pattern over <paramref name="text"/>, taking one unit from <paramref name="budget"/> per step.</summary>
    public PatternResult Match(string text, ref long budget)
    {
        var size = _program.Length;
        var pool = ArrayPool<int>.Shared;
        var current = new StateSet(pool.Rent(size), pool.Rent(size));
        var next = new StateSet(pool.Rent(size), pool.Rent(size));
        var stack = pool.Rent((2 * size) + 1); // every state is visited once and pushes at most two
        try
        {
            for (var i = 0; i <= text.Length; i++)
            {
                if (i == 0 || !_anchoredAtStart)
                {
                    switch (AddClosure(ref current, 0, i, text.Length, stack, ref budget))
                    {
                        case PatternResult.Matched:
                            return PatternResult.Matched;
                        case PatternResult.OutOfBudget:
                            return PatternResult.OutOfBudget;
                    }
                }

                if (i == text.Length || (current.Count == 0 && _anchoredAtStart))
                {
                    break;
                }

                var c = text[i];
                for (var k = 0; k < current.Count; k++)
                {
                    if (--budget < 0)
                    {
                        return PatternResult.OutOfBudget;
                    }

                    var pc = current.Dense[k];
                    ref readonly var instruction = ref _program[pc];
                    if (instruction.Op == Op.Char && instruction.Set!.Matches(c, _ignoreCase))
                    {
                        switch (AddClosure(ref next, pc + 1, i + 1, text.Length, stack, ref budget))
                        {
                            case PatternResult.Matched:
                                return PatternResult.Matched;
                            case PatternResult.OutOfBudget:
                                return PatternResult.OutOfBudget;
                        }
                    }
                }

                (current, next) = (next, current);
                next.Clear();
            }

            return PatternResult.NotMatched;
        }
        finally
        {
            pool.Return(current.Dense);
            pool.Return(current.Sparse);
            pool.Return(next.Dense);
            pool.Return(next.Sparse);
            pool.Return(stack);
        }
    }

    /// <summary>Adds <paramref name="start"/> and every state reachable from it without reading a character.</summary>
    private PatternResult AddClosure(ref StateSet set, int start, int position, int length, int[] stack, ref long budget)
    {
        var top = 0;
        stack[top++] = start;
        while (top > 0)
        {
            var pc = stack[--top];
            if (set.Contains(pc))
            {
                continue;
            }

            if (--budget < 0)
            {
                return PatternResult.OutOfBudget;
            }

            set.Add(pc);
            ref readonly var instruction = ref _program[pc];
            switch (instruction.Op)
            {
                case Op.Match:
                    return PatternResult.Matched;
                case Op.Jump:
                    stack[top++] = instruction.X;
                    break;
                case Op.Split:
                    stack[top++] = instruction.Y;
                    stack[top++] = instruction.X;
                    break;
                case Op.AssertStart when position == 0:
                case Op.AssertEnd when position == length:
                    stack[top++] = pc + 1;
                    break;
            }
        }

        return PatternResult.NotMatched;
    }

    private enum Op : byte
    {
        Char,
        Split,
        Jump,
        AssertStart,
        AssertEnd,
        Match,
    }

    private readonly record struct Instruction(Op Op, CharSet? Set = null, int X = 0, int Y = 0);

    /// <summary>A set of states with O(1) add, test and clear (the sparse-set trick), in insertion order.</summary>
    private struct StateSet(int[] dense, int[] sparse)
    {
        public int[] Dense { get; } = dense;

        public int[] Sparse { get; } = sparse;

        public int Count { get; private set; }

        public readonly bool Contains(int pc)
        {
            var i = Sparse[pc];
            return (uint)i < (uint)Count && Dense[i] == pc;
        }

        public void Add(int pc)
        {
            Sparse[pc] = Count;
            Dense[Count++] = pc;
        }

        public void Clear() => Count = 0;
    }

    private sealed class Compiler(int maxSize)
    {
        private readonly List<Instruction> _program = [];

        public static Instruction[] Compile(PatternNode node, int maxSize)
        {
            var compiler = new Compiler(maxSize);
            compiler.Emit(node);
            compiler.Add(new Instruction(Op.Match));
            return [.. compiler._program];
        }

        private int Add(Instruction instruction)
        {
            if (_program.Count >= maxSize)
            {
                throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"pattern too complex: it needs more than {maxSize} automaton states"));
            }

            _program.Add(instruction);
            return _program.Count - 1;
        }

        private void Patch(int at, int x, int? y = null) =>
            _program[at] = _program[at] with { X = x, Y = y ?? _program[at].Y };

        private void Emit(PatternNode node)
        {
            switch (node)
            {
                case CharNode c:
                    Add(new Instruction(Op.Char, c.Set));
                    break;
                case AnchorNode a:
                    Add(new Instruction(a.Start ? Op.AssertStart : Op.AssertEnd));
                    break;
                case SequenceNode s:
                    foreach (var item in s.Items)
                    {
                        Emit(item);
                    }

                    break;
                case AlternationNode alt:
                    EmitAlternation(alt.Options);
                    break;
                case RepeatNode r:
                    EmitRepeat(r);
                    break;
            }
        }

        private void EmitAlternation(IReadOnlyList<PatternNode> options)
        {
            var jumps = new List<int>();
            for (var i = 0; i < options.Count - 1; i++)
            {
                var split = Add(new Instruction(Op.Split));
                Emit(options[i]);
                jumps.Add(Add(new Instruction(Op.Jump)));
                Patch(split, split + 1, _program.Count);
            }

            Emit(options[^1]);
            foreach (var jump in jumps)
            {
                Patch(jump, _program.Count);
            }
        }

        private void EmitRepeat(RepeatNode r)
        {
            if (r.Max is null && r.Min > 0)
            {
                // x{m,}: m - 1 copies, then body; split(body, out) - the last copy loops instead of a star after it.
                for (var i = 0; i < r.Min - 1; i++)
                {
                    Emit(r.Node);
                }

                var body = _program.Count;
                Emit(r.Node);
                Add(new Instruction(Op.Split, X: body, Y: _program.Count + 1));
                return;
            }

            for (var i = 0; i < r.Min; i++)
            {
                Emit(r.Node);
            }

            if (r.Max is null)
            {
                // loop: split(body, out); body; jump loop
                var loop = Add(new Instruction(Op.Split));
                Emit(r.Node);
                Add(new Instruction(Op.Jump, X: loop));
                Patch(loop, loop + 1, _program.Count);
                return;
            }

            var splits = new List<int>();
            for (var i = r.Min; i < r.Max; i++)
            {
                splits.Add(Add(new Instruction(Op.Split)));
                Emit(r.Node);
            }

            foreach (var split in splits)
            {
                Patch(split, split + 1, _program.Count);
            }
        }
    }
}
