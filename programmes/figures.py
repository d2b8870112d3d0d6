"""Exercise figures: our own SVG drawings, made from the joint angles in
`catalogue/figures.yaml` (issue 15).

PURE: data in, an SVG string out; no ORM, no clock, no files (the caller reads the YAML and
passes the parsed mapping to `parse_figures`). A figure is one picture with the start
position ghosted in light grey and the end position drawn solid on top, an arrow for the
movement, the working leg striped AND coloured (so it reads without colour vision and in a
black-and-white print), the wall, step or chair drawn where it matters, and no words (nothing
to translate). The SVG uses presentation attributes only (fill=, stroke=): no <style>, no
style="", no script, so it passes the Content-Security-Policy inline or as an <img>.

Two views:
- `side`: a person seen from the side, facing right. Angles in degrees: `trunk` leans forward
  from upright; for each leg (`near` = the working leg, drawn in front; `far` = the other)
  `hip` swings the thigh forward from straight down, `knee` bends it (0 = straight), `ankle`
  points the toes down (plantarflexion +, dorsiflexion -; `flat` = the sole level with the
  floor). `knee: auto` bends the knee until that foot reaches the floor. Arms: `shoulder`
  (forward from straight down) and `elbow` (bend). `at` places one named point
  (`near.ball`, `hip`, …) at x, y; the floor is y = 0, up is negative.
- `top`: the feet seen from above, toes up; each foot turns by `turn` degrees about its heel
  (+ = toes outward, away from the other foot) — for turning in and out against a band or a
  chair leg.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Segment lengths and half-widths (user units; a standing figure is about 190 tall).
THIGH = SHIN = 46.0
TORSO = 58.0
UPPER_ARM, FOREARM = 30.0, 28.0
HEAD_R = 12.0
ANKLE_H = 9.0  # ankle above the sole
HEEL_BACK, BALL_FORWARD, TOE_LEN = 8.0, 24.0, 9.0

INK = "#334155"  # the body (near side)
FAR = "#64748b"  # the far arm and leg
GHOST = "#cbd5e1"  # the start position
WORK = "#c2410c"  # the working leg: this colour AND white stripes
WORK_EDGE = "#7c2d12"
ARROW = "#1d4ed8"
MARK = "#15803d"  # what the figure exaggerates: a straight knee, a bent knee, a level
PROP, PROP_EDGE = "#e2e8f0", "#64748b"

MAX_BYTES = 12 * 1024
MIN_ARROW = 40.0


class FigureError(ValueError):
    """A figure's data is malformed (names the figure and the field)."""


Point = tuple[float, float]


def _d(angle: float) -> Point:
    """Unit vector `angle` degrees from straight down, rotating forward (+x); y points down."""
    r = math.radians(angle)
    return (math.sin(r), math.cos(r))


def _add(p: Point, v: Point, k: float = 1.0) -> Point:
    return (p[0] + v[0] * k, p[1] + v[1] * k)


def _n(v: Point) -> Point:
    """The sole side of a foot whose toes point along `v` (down when the foot is flat)."""
    return (-v[1], v[0])


def _f(x: float) -> str:
    text = f"{x:.1f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return "0" if text == "-0" else text


def _pts(points: Iterable[Point]) -> str:
    return " ".join(f"{_f(x)},{_f(y)}" for x, y in points)


# --- data --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    slug: str
    view: str
    alt: str
    frames: tuple[Mapping[str, Any], ...]  # (start, end)
    props: tuple[Mapping[str, Any], ...] = ()
    arrows: tuple[Mapping[str, Any], ...] = ()
    marks: tuple[Mapping[str, Any], ...] = ()


def parse_figures(data: Any) -> dict[str, Figure]:
    """figures.yaml's `figures` list → {slug: Figure}; FigureError names what is wrong."""
    if not isinstance(data, Mapping) or not isinstance(data.get("figures"), list):
        raise FigureError("figures.yaml: expected a mapping with a 'figures' list")
    poses = data.get("poses") or {}
    out: dict[str, Figure] = {}
    for index, entry in enumerate(data["figures"]):
        if not isinstance(entry, Mapping) or not entry.get("slug"):
            raise FigureError(f"figures.yaml: entry {index} has no slug")
        slug = str(entry["slug"])
        if slug in out:
            raise FigureError(f"figures.yaml: {slug!r} appears twice")
        alt = str(entry.get("alt") or "").strip()
        if not alt:
            raise FigureError(f"figures.yaml: {slug}: needs an alt text")
        view = entry.get("view", "side")
        if view not in ("side", "top"):
            raise FigureError(f"figures.yaml: {slug}: view must be side or top")
        start, end = entry.get("start"), entry.get("end")
        if not isinstance(start, Mapping) or not isinstance(end, Mapping):
            raise FigureError(f"figures.yaml: {slug}: needs a start and an end frame")
        out[slug] = Figure(
            slug=slug,
            view=view,
            alt=alt,
            frames=(_with_pose(start, poses, slug), _with_pose(end, poses, slug)),
            props=tuple(entry.get("props") or ()),
            arrows=tuple(entry.get("arrows") or ()),
            marks=tuple(entry.get("marks") or ()),
        )
    return out


def _with_pose(frame: Mapping[str, Any], poses: Mapping[str, Any], slug: str) -> dict[str, Any]:
    """A frame may start from a named pose and override parts of it (one level deep)."""
    name = frame.get("pose")
    if name is None:
        return dict(frame)
    if name not in poses:
        raise FigureError(f"figures.yaml: {slug}: unknown pose {name!r}")
    merged: dict[str, Any] = {
        k: (dict(v) if isinstance(v, Mapping) else v) for k, v in poses[name].items()
    }
    for key, value in frame.items():
        if key == "pose":
            continue
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


# --- side view: the skeleton -------------------------------------------------------------


@dataclass
class Body:
    points: dict[str, Point] = field(default_factory=dict)
    toes_bent: dict[str, bool] = field(default_factory=dict)

    def moved(self, dx: float, dy: float) -> Body:
        return Body(
            {k: (x + dx, y + dy) for k, (x, y) in self.points.items()}, dict(self.toes_bent)
        )


def _leg(body: Body, side: str, hip: Point, spec: Mapping[str, Any], knee: float) -> None:
    thigh = float(spec.get("hip", 0))
    k = _add(hip, _d(thigh), THIGH)
    shin = thigh - knee
    a = _add(k, _d(shin), SHIN)
    ankle = spec.get("ankle", "flat")
    foot = 90.0 if ankle == "flat" else shin + 90.0 - float(ankle)
    u = _d(foot)
    n = _n(u)
    ball = _add(_add(a, u, BALL_FORWARD), n, ANKLE_H)
    # Toes on the ground bend back to the floor when the foot points down (tiptoe).
    bent = foot < 90 and spec.get("toes", "floor") == "floor"
    toe_dir = (1.0, 0.0) if bent else u
    body.points.update(
        {
            f"{side}.knee": k,
            f"{side}.ankle": a,
            f"{side}.heel": _add(_add(a, u, -HEEL_BACK), n, ANKLE_H),
            f"{side}.ball": ball,
            f"{side}.toe": _add(ball, toe_dir, TOE_LEN),
            f"{side}.instep": _add(_add(a, u, BALL_FORWARD - 4), n, 2.0),
        }
    )
    body.toes_bent[side] = bent


def _lowest(body: Body, side: str) -> float:
    return max(body.points[f"{side}.{p}"][1] for p in ("heel", "ball", "toe"))


def _arm(body: Body, side: str, spec: Mapping[str, Any]) -> None:
    shoulder = body.points["shoulder"]
    up = float(spec.get("shoulder", 10))
    e = _add(shoulder, _d(up), UPPER_ARM)
    body.points[f"{side}.elbow"] = e
    body.points[f"{side}.hand"] = _add(e, _d(up + float(spec.get("elbow", 10))), FOREARM)


def side_body(frame: Mapping[str, Any]) -> Body:
    """The named points of a side-view frame, placed by its `at`."""
    body = Body()
    hip: Point = (0.0, 0.0)
    body.points["hip"] = hip
    trunk = float(frame.get("trunk", 0))
    shoulder = _add(hip, _d(180 - trunk), TORSO)
    body.points["shoulder"] = shoulder
    body.points["head"] = _add(shoulder, _d(180 - trunk - float(frame.get("neck", 0))), HEAD_R + 6)
    for side in ("near", "far"):
        spec = frame.get(side) or {}
        if spec.get("knee", 0) != "auto":
            _leg(body, side, hip, spec, float(spec.get("knee", 0)))
    at = frame.get("at") or {}
    floor_y = float(frame.get("floor", 0))  # where `auto` knees put the foot (a step's top)
    # Place the figure first by its fixed legs, then bend the `auto` knees to the floor.
    joint = str(at.get("joint", "near.ball"))
    autos = [s for s in ("near", "far") if (frame.get(s) or {}).get("knee") == "auto"]
    if joint in body.points:
        x, y = body.points[joint]
        body = body.moved(float(at.get("x", 0)) - x, float(at.get("y", 0)) - y)
    elif autos and joint != "hip":
        raise FigureError(f"cannot place the figure by {joint!r}: its knee is `auto`")
    hip = body.points["hip"]
    for side in autos:
        spec = frame.get(side) or {}
        thigh = float(spec.get("hip", 0))
        lo, hi = max(0.0, thigh), thigh + 90.0
        for _ in range(40):  # bisection: more knee bend lifts the foot
            mid = (lo + hi) / 2
            _leg(body, side, hip, spec, mid)
            if _lowest(body, side) > floor_y:
                lo = mid
            else:
                hi = mid
        _leg(body, side, hip, spec, (lo + hi) / 2)
    for side in ("near", "far"):
        _arm(body, side, frame.get(f"{side}_arm") or {})
    return body


# --- side view: drawing ------------------------------------------------------------------


def _capsule(p: Point, q: Point, r: float) -> str:
    """A path for a rounded limb from p to q, `r` wide either side."""
    dx, dy = q[0] - p[0], q[1] - p[1]
    length = math.hypot(dx, dy) or 1.0
    nx, ny = -dy / length * r, dx / length * r
    a, b = (p[0] + nx, p[1] + ny), (q[0] + nx, q[1] + ny)
    c, d = (q[0] - nx, q[1] - ny), (p[0] - nx, p[1] - ny)
    rr = _f(r)
    return (
        f"M{_pts([a])}L{_pts([b])}A{rr} {rr} 0 0 0 {_pts([c])}"
        f"L{_pts([d])}A{rr} {rr} 0 0 0 {_pts([a])}Z"
    )


def _foot(body: Body, side: str) -> list[Point]:
    p = body.points
    a, heel, ball, toe, instep = (
        p[f"{side}.{k}"] for k in ("ankle", "heel", "ball", "toe", "instep")
    )
    toe_top = _add(toe, _n((toe[0] - ball[0], toe[1] - ball[1])), -0.45)
    back = _add(a, (a[0] - instep[0], a[1] - instep[1]), 0.25)
    return [back, heel, ball, toe, toe_top, instep]


def _limb_paths(body: Body, side: str) -> list[str]:
    p = body.points
    return [
        _capsule(p["hip"], p[f"{side}.knee"], 8.5),
        _capsule(p[f"{side}.knee"], p[f"{side}.ankle"], 6.5),
    ]


class _Svg:
    def __init__(self, slug: str) -> None:
        self.slug = slug
        self.parts: list[str] = []
        self.xs: list[float] = []
        self.ys: list[float] = []

    def see(self, points: Iterable[Point], pad: float = 0.0) -> None:
        for x, y in points:
            self.xs += [x - pad, x + pad]
            self.ys += [y - pad, y + pad]

    def add(self, element: str) -> None:
        self.parts.append(element)


def _draw_leg(svg: _Svg, body: Body, side: str, fill: str, edge: str) -> None:
    for path in _limb_paths(body, side):
        svg.add(f'<path d="{path}" fill="{fill}" stroke="{edge}" stroke-width="1.5"/>')
    svg.add(
        f'<polygon points="{_pts(_foot(body, side))}" fill="{fill}" stroke="{edge}" '
        'stroke-width="3" stroke-linejoin="round"/>'
    )


def _draw_body(svg: _Svg, body: Body, frame: Mapping[str, Any], *, ghost: bool) -> None:
    p = body.points
    ink, far = (GHOST, GHOST) if ghost else (INK, FAR)
    work_fill = GHOST if ghost else f"url(#{svg.slug}-w)"
    work_edge = GHOST if ghost else WORK_EDGE
    svg.see(p.values(), pad=10)
    svg.see([p["head"]], pad=HEAD_R + 2)

    def arm(side: str, colour: str) -> None:
        for a, b, r in (("shoulder", f"{side}.elbow", 5.5), (f"{side}.elbow", f"{side}.hand", 5)):
            svg.add(f'<path d="{_capsule(p[a], p[b], r)}" fill="{colour}"/>')
        hx, hy = p[f"{side}.hand"]
        svg.add(f'<circle cx="{_f(hx)}" cy="{_f(hy)}" r="6" fill="{colour}"/>')

    arm("far", far)
    _draw_leg(svg, body, "far", far, far)
    # Torso, with a backpack when the plan adds weight.
    if frame.get("backpack"):
        back = _add(_add(p["hip"], _d(180 - float(frame.get("trunk", 0))), 20), (-1, 0), 18)
        svg.add(
            f'<rect x="{_f(back[0] - 8)}" y="{_f(back[1] - 28)}" width="18" height="30" rx="4" '
            f'fill="{GHOST if ghost else "#475569"}" stroke="{ink}" stroke-width="2"/>'
        )
    svg.add(f'<path d="{_capsule(p["hip"], p["shoulder"], 11)}" fill="{ink}"/>')
    hx, hy = p["head"]
    svg.add(f'<circle cx="{_f(hx)}" cy="{_f(hy)}" r="{_f(HEAD_R)}" fill="{ink}"/>')
    if not ghost:
        # The eye shows which way the figure faces; a shut eye for balance with eyes closed.
        ex, ey = hx + 5, hy - 2
        if frame.get("eyes") == "closed":
            svg.add(  # a shut eyelid with lashes
                f'<path d="M{_f(ex - 4)},{_f(ey)}h8m-6,0l-1,3m3,-3v3m3,-3l1,3" fill="none" '
                'stroke="#fff" stroke-width="1.8" stroke-linecap="round"/>'
            )
        else:
            svg.add(f'<circle cx="{_f(ex)}" cy="{_f(ey)}" r="2.2" fill="#fff"/>')
    _draw_leg(svg, body, "near", work_fill, work_edge)
    arm("near", ink)
    if frame.get("dumbbell"):
        hx, hy = p["near.hand"]
        svg.add(
            f'<rect x="{_f(hx - 12)}" y="{_f(hy - 3)}" width="24" height="14" rx="3" '
            f'fill="{GHOST if ghost else "#475569"}"/>'
        )


# --- references, props, arrows, marks -------------------------------------------------------


def _ref(value: Any, bodies: tuple[Any, Any], slug: str) -> Point:
    """A point: [x, y], or "start:near.heel" / "end:near.knee" (a named point of a frame)."""
    if isinstance(value, Mapping):  # {at: <point>, dx:, dy:}
        x, y = _ref(value.get("at"), bodies, slug)
        return (x + float(value.get("dx", 0)), y + float(value.get("dy", 0)))
    if isinstance(value, list | tuple) and len(value) == 2:
        return (float(value[0]), float(value[1]))
    if isinstance(value, str) and ":" in value:
        frame, _, name = value.partition(":")
        body = bodies[0] if frame == "start" else bodies[1] if frame == "end" else None
        points = body.points if isinstance(body, Body) else body
        if points is not None and name in points:
            return points[name]
    raise FigureError(f"{slug}: unknown point {value!r}")


def _offset(point: Point, spec: Mapping[str, Any]) -> Point:
    dx, dy = spec.get("offset", (0, 0))
    return (point[0] + float(dx), point[1] + float(dy))


def _draw_prop(svg: _Svg, prop: Mapping[str, Any], bodies: tuple[Any, Any], slug: str) -> None:
    kind = prop.get("kind")

    def num(key: str, default: float | None = None) -> float:
        value = prop.get(key, default)
        if value is None:
            raise FigureError(f"{slug}: prop {kind} needs {key}")
        if isinstance(value, str):  # the x of a named point, moved by d<key> (or dx)
            return _ref(value, bodies, slug)[0] + float(prop.get(f"d{key}", prop.get("dx", 0)))
        return float(value)

    if kind == "wall":
        x = num("x")
        svg.add(
            f'<rect x="{_f(x)}" y="-230" width="14" height="230" fill="{PROP}" '
            f'stroke="{PROP_EDGE}" stroke-width="2"/>'
        )
        svg.see([(x, -230), (x + 14, 0)])
    elif kind == "step":
        x0, x1, h = num("x0"), num("x1"), num("height", 30)
        svg.add(
            f'<rect x="{_f(x0)}" y="{_f(-h)}" width="{_f(x1 - x0)}" height="{_f(h)}" '
            f'fill="{PROP}" stroke="{PROP_EDGE}" stroke-width="2"/>'
        )
        svg.see([(x0, -h), (x1, 0)])
    elif kind == "chair":
        # Side view: the seat's front edge at x, its top at -seat; the back rises behind it
        # (or in front, `back: front`, for a chair held for balance).
        x, seat = num("x"), num("seat", 52)
        depth = 44.0
        back_x = x - depth if prop.get("back", "behind") == "behind" else x - 6
        rects = [
            (x - depth, -seat, depth, 7),
            (x - depth + 2, -seat, 5, seat),
            (x - 7, -seat, 5, seat),
            (back_x, -seat - 58, 6, 58),
        ]
        for rx, ry, w, h in rects:
            svg.add(
                f'<rect x="{_f(rx)}" y="{_f(ry)}" width="{_f(w)}" height="{_f(h)}" rx="2" '
                f'fill="{PROP}" stroke="{PROP_EDGE}" stroke-width="2"/>'
            )
        svg.see([(x - depth, -seat - 58), (x, 0)])
    elif kind in ("cushion", "block"):
        x0, x1, y = num("x0"), num("x1"), num("y", 0)
        # `top`: a named point the block reaches up to (a heel resting on a stool)
        h = y - _ref(prop["top"], bodies, slug)[1] if "top" in prop else num("height", 12)
        svg.add(
            f'<rect x="{_f(x0)}" y="{_f(y - h)}" width="{_f(x1 - x0)}" height="{_f(h)}" '
            f'rx="{_f(h / 2 if kind == "cushion" else 2)}" fill="{PROP}" stroke="{PROP_EDGE}" '
            'stroke-width="2"/>'
        )
        svg.see([(x0, y - h), (x1, y)])
    elif kind == "roll":  # a rolled towel
        cx, cy = _ref(prop.get("at"), bodies, slug)
        r = num("r", 7)
        svg.add(
            f'<circle cx="{_f(cx)}" cy="{_f(cy)}" r="{_f(r)}" fill="{PROP}" '
            f'stroke="{PROP_EDGE}" stroke-width="2"/>'
        )
    elif kind == "bar":  # a rigid thing between two points: a leg-press plate, a bench
        a = _offset(_ref(prop.get("from"), bodies, slug), prop)
        b = _offset(_ref(prop.get("to"), bodies, slug), prop)
        svg.add(
            f'<path d="{_capsule(a, b, num("width", 8) / 2)}" fill="{PROP}" '
            f'stroke="{PROP_EDGE}" stroke-width="2"/>'
        )
        svg.see([a, b], pad=6)
    elif kind == "strap":  # a band, towel or belt: a line between two points
        a = _ref(prop.get("from"), bodies, slug)
        b = _ref(prop.get("to"), bodies, slug)
        svg.add(
            f'<path d="M{_pts([a])}L{_pts([b])}" stroke="#7c3aed" stroke-width="4" '
            'stroke-linecap="round" fill="none"/>'
        )
        svg.see([a, b], pad=4)
    elif kind == "post":  # a chair or table leg seen from above
        cx, cy = _ref(prop.get("at"), bodies, slug)
        svg.add(
            f'<rect x="{_f(cx - 9)}" y="{_f(cy - 9)}" width="18" height="18" rx="3" '
            f'fill="{PROP}" stroke="{PROP_EDGE}" stroke-width="2.5"/>'
        )
        svg.see([(cx, cy)], pad=12)
    elif kind == "pack":  # an ice or heat pack on the ankle
        cx, cy = _ref(prop.get("at"), bodies, slug)
        cold = prop.get("modality") == "ice"
        fill, edge = ("#bfdbfe", "#1d4ed8") if cold else ("#fecaca", "#b91c1c")
        svg.add(
            f'<rect x="{_f(cx - 16)}" y="{_f(cy - 14)}" width="32" height="22" rx="6" '
            f'fill="{fill}" stroke="{edge}" stroke-width="2.5"/>'
        )
        if cold:  # a snowflake-like star
            lines = "".join(
                f"M{_f(cx - 7 * math.cos(t))},{_f(cy - 3 - 7 * math.sin(t))}l"
                f"{_f(14 * math.cos(t))},{_f(14 * math.sin(t))}"
                for t in (0.0, math.pi / 3, 2 * math.pi / 3)
            )
        else:  # rising heat waves
            lines = "".join(
                f"M{_f(cx + dx)},{_f(cy - 18)}q-4,-6 0,-12q4,-6 0,-12" for dx in (-8, 0, 8)
            )
        svg.add(
            f'<path d="{lines}" fill="none" stroke="{edge}" stroke-width="2" '
            'stroke-linecap="round"/>'
        )
        svg.see([(cx, cy - 44), (cx, cy + 10)], pad=18)
    elif kind == "hands":  # a clinician's hands around the ankle
        cx, cy = _ref(prop.get("at"), bodies, slug)
        for dx, dy in ((-12, -14), (10, 12)):
            svg.add(
                f'<ellipse cx="{_f(cx + dx)}" cy="{_f(cy + dy)}" rx="15" ry="9" fill="#f1c27d" '
                'stroke="#92400e" stroke-width="2"/>'
            )
        svg.see([(cx, cy)], pad=30)
    else:
        raise FigureError(f"{slug}: unknown prop {kind!r}")


def _arrowhead(tip: Point, frm: Point, colour: str) -> str:
    dx, dy = tip[0] - frm[0], tip[1] - frm[1]
    length = math.hypot(dx, dy) or 1.0
    ux, uy = dx / length, dy / length
    base = (tip[0] - ux * 13, tip[1] - uy * 13)
    left = (base[0] - uy * 8, base[1] + ux * 8)
    right = (base[0] + uy * 8, base[1] - ux * 8)
    return f'<polygon points="{_pts([tip, left, right])}" fill="{colour}"/>'


def _draw_arrow(svg: _Svg, spec: Mapping[str, Any], bodies: tuple[Any, Any], slug: str) -> None:
    if spec.get("kind") == "loop":  # drawing letters: a circling arrow round a point
        cx, cy = _offset(_ref(spec.get("at"), bodies, slug), spec)
        r = float(spec.get("r", 16))
        a0, a1 = math.radians(150), math.radians(150 + 290)
        p0 = (cx + r * math.cos(a0), cy + r * math.sin(a0))
        p1 = (cx + r * math.cos(a1), cy + r * math.sin(a1))
        svg.add(
            f'<path d="M{_pts([p0])}A{_f(r)} {_f(r)} 0 1 1 {_pts([p1])}" fill="none" '
            f'stroke="{ARROW}" stroke-width="5" stroke-linecap="round"/>'
        )
        tangent = (-math.sin(a1), math.cos(a1))
        tip = _add(p1, tangent, 6)
        svg.add(_arrowhead(tip, _add(p1, tangent, -4), ARROW))
        svg.see([(cx - r, cy - r), (cx + r, cy + r)], pad=10)
        return
    a = _offset(_ref(spec.get("from"), bodies, slug), spec)
    b = _offset(_ref(spec.get("to"), bodies, slug), spec)
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = math.hypot(dx, dy) or 1.0
    if length < MIN_ARROW:  # a small movement still gets an arrow you can see
        grow = (MIN_ARROW - length) / 2 / length
        a, b = (a[0] - dx * grow, a[1] - dy * grow), (b[0] + dx * grow, b[1] + dy * grow)
        dx, dy, length = b[0] - a[0], b[1] - a[1], MIN_ARROW
    bend = float(spec.get("bend", 0))
    mid = ((a[0] + b[0]) / 2 - dy / length * bend, (a[1] + b[1]) / 2 + dx / length * bend)
    both = bool(spec.get("both"))
    width = 7 if spec.get("kind") == "push" else 5
    svg.add(
        f'<path d="M{_pts([a])}Q{_pts([mid])} {_pts([b])}" fill="none" stroke="{ARROW}" '
        f'stroke-width="{width}" stroke-linecap="round"/>'
    )
    svg.add(_arrowhead(b, mid, ARROW))
    if both:
        svg.add(_arrowhead(a, mid, ARROW))
    svg.see([a, b, mid], pad=10)


def _draw_mark(svg: _Svg, spec: Mapping[str, Any], bodies: tuple[Any, Any], slug: str) -> None:
    kind = spec.get("kind")
    if kind == "straight":  # a ruler alongside the leg: hip, knee and ankle in one line
        a = _offset(_ref(spec.get("from"), bodies, slug), spec)
        b = _offset(_ref(spec.get("to"), bodies, slug), spec)
        svg.add(
            f'<path d="M{_pts([a])}L{_pts([b])}" stroke="{MARK}" stroke-width="4" '
            'stroke-dasharray="10 6" stroke-linecap="round"/>'
        )
        for end in (a, b):
            svg.add(f'<circle cx="{_f(end[0])}" cy="{_f(end[1])}" r="4.5" fill="{MARK}"/>')
    elif kind == "angle":  # an arc in the bend of a joint
        c = _ref(spec.get("at"), bodies, slug)
        p1 = _ref(spec.get("from"), bodies, slug)
        p2 = _ref(spec.get("to"), bodies, slug)
        r = float(spec.get("r", 22))

        def towards(p: Point) -> Point:
            dx, dy = p[0] - c[0], p[1] - c[1]
            length = math.hypot(dx, dy) or 1.0
            return (c[0] + dx / length * r, c[1] + dy / length * r)

        s, e = towards(p1), towards(p2)
        cross = (s[0] - c[0]) * (e[1] - c[1]) - (s[1] - c[1]) * (e[0] - c[0])
        sweep = 1 if cross > 0 else 0
        svg.add(
            f'<path d="M{_pts([c])}L{_pts([s])}A{_f(r)} {_f(r)} 0 0 {sweep} {_pts([e])}Z" '
            f'fill="{MARK}" fill-opacity="0.35" stroke="{MARK}" stroke-width="3"/>'
        )
    elif kind == "level":  # a dashed line: the level the heel goes below (a step's top)
        y = float(spec["y"])
        x0, x1 = float(spec["x0"]), float(spec["x1"])
        svg.add(
            f'<path d="M{_f(x0)},{_f(y)}H{_f(x1)}" stroke="{MARK}" stroke-width="3" '
            'stroke-dasharray="8 5"/>'
        )
        svg.see([(x0, y), (x1, y)])
    elif kind == "ring":  # a circle round what must stay put or touch (the heel, the knee)
        cx, cy = _offset(_ref(spec.get("at"), bodies, slug), spec)
        svg.add(
            f'<circle cx="{_f(cx)}" cy="{_f(cy)}" r="{_f(float(spec.get("r", 13)))}" fill="none" '
            f'stroke="{MARK}" stroke-width="3.5"/>'
        )
    else:
        raise FigureError(f"{slug}: unknown mark {kind!r}")


# --- top view -----------------------------------------------------------------------------

# A right foot seen from above, heel centre at 0,0, toes up (-y); the big toe on the inside (-x).
_FOOT_TOP = [
    (-11, 2),
    (-14, -30),
    (-16, -56),
    (-15, -70),
    (-9, -77),
    (0, -77),
    (8, -71),
    (14, -62),
    (15, -42),
    (12, -10),
    (8, 3),
    (0, 6),
]
_FOOT_NAMED = {
    "heel": (0, 0),
    "toe": (-5, -80),
    "inner": (-16, -55),
    "outer": (16, -50),
    "ankle": (0, -14),
}


def _top_foot(spec: Mapping[str, Any], side: str) -> tuple[list[Point], dict[str, Point]]:
    """One foot's outline and named points. `side` near = the right foot (working), far = left."""
    mirror = -1.0 if side == "far" else 1.0
    turn = math.radians(float(spec.get("turn", 0)) * mirror)
    hx, hy = (float(v) for v in spec.get("at", (0, 0)))

    def place(p: tuple[float, float]) -> Point:
        x, y = p[0] * mirror, p[1]
        return (
            hx + x * math.cos(turn) - y * math.sin(turn),
            hy + x * math.sin(turn) + y * math.cos(turn),
        )

    named = {f"{side}.{k}": place(v) for k, v in _FOOT_NAMED.items()}
    return [place(p) for p in _FOOT_TOP], named


_TOES = [(-8, -86), (0, -85), (6, -82), (11, -77), (15, -70)]


def _top_toes(spec: Mapping[str, Any], side: str) -> list[Point]:
    mirror = -1.0 if side == "far" else 1.0
    turn = math.radians(float(spec.get("turn", 0)) * mirror)
    hx, hy = (float(v) for v in spec.get("at", (0, 0)))
    return [
        (
            hx + x * mirror * math.cos(turn) - y * math.sin(turn),
            hy + x * mirror * math.sin(turn) + y * math.cos(turn),
        )
        for x, y in _TOES
    ]


def top_points(frame: Mapping[str, Any]) -> dict[str, Point]:
    points: dict[str, Point] = {}
    for side in ("near", "far"):
        if side in frame:
            points.update(_top_foot(frame[side], side)[1])
    return points


def _draw_top(svg: _Svg, frame: Mapping[str, Any], *, ghost: bool) -> None:
    for side in ("far", "near"):
        if side not in frame:
            continue
        outline, _ = _top_foot(frame[side], side)
        if side == "near" and not ghost:
            fill, edge = f"url(#{svg.slug}-w)", WORK_EDGE
        else:
            fill, edge = (GHOST, GHOST) if ghost else (FAR, FAR)
        svg.add(
            f'<polygon points="{_pts(outline)}" fill="{fill}" stroke="{edge}" stroke-width="3" '
            'stroke-linejoin="round"/>'
        )
        for i, (tx, ty) in enumerate(_top_toes(frame[side], side)):
            svg.add(
                f'<circle cx="{_f(tx)}" cy="{_f(ty)}" r="{5.5 if i == 0 else 4}" fill="{fill}" '
                f'stroke="{edge}" stroke-width="2"/>'
            )
        svg.see(outline, pad=8)


def _draw_top_leg(svg: _Svg, frame: Mapping[str, Any]) -> None:
    """The working leg seen from above, from the heel back towards the body (it stays still
    while the foot turns): it tells the eye this is a leg and foot from above."""
    if "near" not in frame:
        return
    hx, hy = (float(v) for v in frame["near"].get("at", (0, 0)))
    path = _capsule((hx, hy - 6), (hx, hy + 110), 15)
    svg.add(f'<path d="{path}" fill="url(#{svg.slug}-w)" stroke="{WORK_EDGE}" stroke-width="2"/>')
    svg.see([(hx - 15, hy + 125), (hx + 15, hy)])


# --- the whole figure -----------------------------------------------------------------------


def render(figure: Figure) -> str:
    """The figure as a standalone SVG document (no text, no style, no script)."""
    svg = _Svg(figure.slug)
    start, end = figure.frames
    sides = (side_body(start), side_body(end)) if figure.view == "side" else None
    bodies: tuple[Any, Any] = sides or (top_points(start), top_points(end))
    for prop in figure.props:
        if not prop.get("over"):
            _draw_prop(svg, prop, bodies, figure.slug)
    if sides is not None:
        if not start.get("same"):
            _draw_body(svg, sides[0], start, ghost=True)
        _draw_body(svg, sides[1], end, ghost=False)
    else:
        _draw_top_leg(svg, end)
        if not start.get("same"):
            _draw_top(svg, start, ghost=True)
        _draw_top(svg, end, ghost=False)
    # Props drawn over the body (a pack on the ankle, a strap round the foot, hands).
    for prop in figure.props:
        if prop.get("over"):
            _draw_prop(svg, prop, bodies, figure.slug)
    for mark in figure.marks:
        _draw_mark(svg, mark, bodies, figure.slug)
    for arrow in figure.arrows:
        _draw_arrow(svg, arrow, bodies, figure.slug)
    pad = 8.0
    x0, x1 = min(svg.xs) - pad, max(svg.xs) + pad
    y0 = min(svg.ys) - pad
    # Side views stop just under the floor (y = 0): nothing is drawn below it.
    y1 = (max(svg.ys) + pad) if figure.view == "top" else 10.0
    w, h = x1 - x0, y1 - y0
    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{_f(x0)} {_f(y0)} {_f(w)} {_f(h)}" '
        f'width="{_f(w)}" height="{_f(h)}">',
        f'<defs><pattern id="{figure.slug}-w" width="9" height="9" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="9" height="9" fill="{WORK}"/>'
        '<rect width="3.5" height="9" fill="#fff"/></pattern></defs>',
        f'<rect x="{_f(x0)}" y="{_f(y0)}" width="{_f(w)}" height="{_f(h)}" fill="#fff"/>',
    ]
    if figure.view == "side":
        head.append(f'<path d="M{_f(x0)},1.5H{_f(x1)}" stroke="{PROP_EDGE}" stroke-width="3"/>')
    return "".join([*head, *svg.parts, "</svg>"])


def render_all(figures: Mapping[str, Figure]) -> dict[str, str]:
    return {slug: render(figure) for slug, figure in figures.items()}
