"""The ``modbus`` driver: polls holding and input registers of a Modbus TCP device.

Each entry of the register map names a point: where it is (``table``, ``address``), how it is
encoded (``data_type``: int16, uint16, int32, uint32, float32; ``word_order`` of 32-bit
values), how to scale it (``value = raw * scale + offset``, then ``source_unit`` -> ``unit``)
and its metadata. Registers near each other are read in one request (at most 125 registers,
the protocol's limit), so a poll of a meter's map costs a handful of round trips. Registers
with unused ones between them are read apart, as many devices refuse to read unmapped
addresses; ``max_gap_registers`` lets a device that allows it be read in fewer requests.

A device that does not answer costs the readings of that poll, not the gateway: the poll
raises :class:`~gateway.errors.DriverError`, the gateway logs it and polls again on schedule.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, Self

from pydantic import Field, ValidationInfo, field_validator, model_validator

from byggpuls.errors import ConfigError
from byggpuls.reading import ID_PATTERN, BuildingInfo, PointInfo, Reading
from gateway.drivers import DriverContext, register
from gateway.drivers.points import PointOptions, Strict, check_points
from gateway.errors import DriverError

logger = logging.getLogger(__name__)

DataType = Literal["int16", "uint16", "int32", "uint32", "float32"]
#: Registers each data type occupies.
REGISTER_COUNT: Final[dict[str, int]] = {
    "int16": 1,
    "uint16": 1,
    "int32": 2,
    "uint32": 2,
    "float32": 2,
}
#: The most registers one read may ask for (Modbus application protocol, function 3 and 4).
MAX_REGISTERS_PER_READ: Final = 125


class Register(PointOptions):
    """One value in the device's register map and the point it feeds."""

    table: Literal["holding", "input"] = "holding"
    address: int = Field(ge=0, le=65535)
    data_type: DataType = "uint16"
    #: Registers the value occupies; implied by ``data_type`` (checked when given).
    count: int | None = Field(default=None, ge=1, le=2)
    #: Order of the two 16-bit words of 32-bit values: ``big`` (high word first) or ``little``.
    word_order: Literal["big", "little"] = "big"
    scale: float = 1.0
    offset: float = 0.0

    @model_validator(mode="after")
    def _check_count(self) -> Self:
        needed = REGISTER_COUNT[self.data_type]
        if self.count is not None and self.count != needed:
            raise ValueError(f"{self.data_type} occupies {needed} register(s), not {self.count}")
        if self.address + needed - 1 > 65535:
            raise ValueError(f"address {self.address} + {needed} registers passes 65535")
        return self

    @property
    def registers(self) -> int:
        return REGISTER_COUNT[self.data_type]


class ModbusOptions(Strict):
    """``[driver]`` of ``type = "modbus"``."""

    host: str = Field(min_length=1)
    port: int = Field(default=502, ge=1, le=65535)
    #: The unit (slave) id of the device; gateways to serial buses route by it.
    device_id: int = Field(default=1, ge=0, le=255)
    interval_s: float = Field(default=60.0, gt=0)
    timeout_s: float = Field(default=3.0, gt=0)
    retries: int = Field(default=1, ge=0, le=10)
    #: Read registers this close together in one request, the unused ones between them too.
    max_gap_registers: int = Field(default=0, ge=0, le=MAX_REGISTERS_PER_READ)
    domain: str | None = Field(default=None, pattern=f"^{ID_PATTERN.pattern}$")
    registers: list[Register] = Field(min_length=1)

    @field_validator("registers")
    @classmethod
    def _check_registers(cls, registers: list[Register], info: ValidationInfo) -> list[Register]:
        check_points(registers, default_domain=info.data.get("domain"))
        return registers


@dataclass(frozen=True, slots=True)
class Block:
    """One read request: ``count`` registers of ``table`` from ``address``, and what is in them."""

    table: str
    address: int
    count: int
    registers: tuple[Register, ...]


def plan_reads(registers: Sequence[Register], *, max_gap: int = 0) -> list[Block]:
    """Group ``registers`` into as few reads as the protocol's limit and ``max_gap`` allow."""
    blocks: list[Block] = []
    for table in ("holding", "input"):
        entries = sorted((r for r in registers if r.table == table), key=lambda r: r.address)
        current: list[Register] = []
        start = end = 0
        for entry in entries:
            entry_end = entry.address + entry.registers
            if current and (
                entry.address - end > max_gap
                or max(end, entry_end) - start > MAX_REGISTERS_PER_READ
            ):
                blocks.append(Block(table, start, end - start, tuple(current)))
                current = []
            if not current:
                start, end = entry.address, entry_end
            current.append(entry)
            end = max(end, entry_end)
        if current:
            blocks.append(Block(table, start, end - start, tuple(current)))
    return blocks


class ModbusDriver:
    """Polls one Modbus TCP device every ``interval_s`` seconds."""

    historic = False

    def __init__(self, options: ModbusOptions, *, building: BuildingInfo) -> None:
        from pymodbus.client import ModbusTcpClient  # only Modbus gateways need it

        self.options = options
        self._building = building
        # pymodbus's client methods are partly untyped: typed at our edge instead.
        self._client: Any = ModbusTcpClient(
            options.host, port=options.port, timeout=options.timeout_s, retries=options.retries
        )
        self._datatypes = {
            name: getattr(ModbusTcpClient.DATATYPE, name.upper()) for name in REGISTER_COUNT
        }
        self._blocks = plan_reads(options.registers, max_gap=options.max_gap_registers)
        self._convert = {r.point: r.convert() for r in options.registers}
        self._quantity = {r.point: r.resolved_quantity() for r in options.registers}
        self._next_s: float | None = None

    def building(self) -> BuildingInfo:
        return self._building

    def points(self) -> list[PointInfo]:
        interval = max(1, round(self.options.interval_s))
        return [
            r.info(domain=self.options.domain or "", interval_s=interval)
            for r in self.options.registers
        ]

    def next_poll_s(self, now_s: float) -> float | None:
        if self._next_s is None:
            self._next_s = now_s
        return self._next_s

    def poll(self, now_s: float) -> list[Reading]:
        interval = self.options.interval_s
        # Keep the schedule's phase; after a stall, skip the polls that were missed.
        due = self._next_s if self._next_s is not None else now_s
        self._next_s = due + interval * max(1, math.floor((now_s - due) / interval) + 1)
        from pymodbus.exceptions import ModbusException

        readings: list[Reading] = []
        failures: list[str] = []
        time_ms = round(now_s * 1000)
        for block in self._blocks:
            try:
                registers = self._read(block)
            except (ModbusException, OSError) as exc:
                failures.append(f"{block.table} {block.address}+{block.count}: {exc}")
                continue
            readings.extend(self._decode(block, registers, time_ms))
        if failures and not readings:
            self._client.close()
            raise DriverError(
                f"Modbus device {self.options.host}:{self.options.port} "
                f"(id {self.options.device_id}) did not answer: {'; '.join(failures)}"
            )
        for failure in failures:
            logger.warning("Modbus read failed, those points skipped this poll: %s", failure)
        return readings

    def _read(self, block: Block) -> list[int]:
        if not self._client.connected and not self._client.connect():
            raise OSError("cannot connect")
        read = (
            self._client.read_holding_registers
            if block.table == "holding"
            else self._client.read_input_registers
        )
        response: Any = read(block.address, count=block.count, device_id=self.options.device_id)
        if response.isError():
            raise OSError(f"device answered with an exception: {response}")
        registers: list[int] = list(response.registers)
        if len(registers) < block.count:
            raise OSError(f"asked for {block.count} registers, got {len(registers)}")
        return registers

    def _decode(self, block: Block, registers: list[int], time_ms: int) -> list[Reading]:
        readings = []
        for entry in block.registers:
            first = entry.address - block.address
            words = registers[first : first + entry.registers]
            raw = self._client.convert_from_registers(
                words, self._datatypes[entry.data_type], word_order=entry.word_order
            )
            value = self._convert[entry.point](float(raw) * entry.scale + entry.offset)
            if not math.isfinite(value):  # a float32 register holding NaN: the device has no value
                continue
            readings.append(
                Reading(
                    building=self._building.id,
                    point=entry.point,
                    quantity=self._quantity[entry.point],
                    time_ms=time_ms,
                    value=value,
                    unit=entry.unit,
                    zone=entry.zone,
                )
            )
        return readings

    def close(self) -> None:
        self._client.close()


@register(
    "modbus", options=ModbusOptions, summary="poll holding/input registers of a Modbus TCP device"
)
def create(options: ModbusOptions, context: DriverContext) -> ModbusDriver:
    if context.building is None:
        raise ConfigError("driver modbus needs a [building] table")
    return ModbusDriver(options, building=context.building)


__all__ = ["ModbusDriver", "ModbusOptions", "Register", "plan_reads"]
