// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IStakedRex} from "../interfaces/IStakedRex.sol";
import {RewardsPool} from "./RewardsPool.sol";

/// @title StakedRex
/// @notice sREX (see {IStakedRex}): stake REX 1:1, non-transferable, with age lots, a deduction on
/// redeem that falls with age (half burned, half to the rewards pool), AI points and the rewards
/// pool ({RewardsPool}). No owner: the parameters are fixed at deployment; the deployer only names
/// the points spender, once.
contract StakedRex is ERC20, RewardsPool, IStakedRex {
    using SafeERC20 for IERC20;

    uint256 private constant BPS = 10_000;
    uint256 private constant POINTS_UNIT = 1e18; // points per sREX per day are given for 1e18 sREX units
    /// @notice Width of an age lot: stakes within one such span share a lot.
    uint256 public constant LOT_SPAN = 7 days;

    uint256 private immutable _deductionBps; // d0
    uint256 private immutable _maturity; // T, seconds
    uint256 private immutable _pointsPerDay; // points (18 decimals) per 1e18 sREX per day
    uint256 private immutable _pointsCapDays; // C
    uint256 private immutable _maxLots; // T / LOT_SPAN + 2: lots younger than T span at most this many spans
    address private immutable _deployer;
    address private _pointsSpender;

    /// @dev A lot: REX staked in one LOT_SPAN; `time` is its latest addition (its age is counted from
    /// there, so adding to a lot never makes older REX in it look older than it is).
    struct Lot {
        uint64 time;
        uint192 amount;
    }

    /// @dev Lots `head` .. `tail - 1` are live, oldest first; `matured` holds lots past T.
    struct Lots {
        uint256 matured;
        uint64 head;
        uint64 tail;
    }

    struct Points {
        uint192 balance;
        uint64 updated;
    }

    mapping(address => Lots) private _lotsOf;
    mapping(address => mapping(uint256 => Lot)) private _lot;
    mapping(address => Points) private _points;

    /// @param rex_ the REX token (burnable: half of each deduction is burned)
    /// @param deductionBps d0, the deduction of a fresh stake, basis points (e.g. 2000 = 20 %)
    /// @param maturity T, seconds after which a lot redeems without deduction (e.g. 180 days)
    /// @param pointsPerDay points (18 decimals) one sREX earns per day
    /// @param pointsCapDays C: points stop accruing at C days' worth of the current balance
    constructor(ERC20Burnable rex_, uint256 deductionBps, uint256 maturity, uint256 pointsPerDay, uint256 pointsCapDays)
        ERC20("Staked REX", "sREX")
        RewardsPool(IERC20(address(rex_)))
    {
        if (deductionBps > BPS) revert StakedRexBadParameter("deductionBps");
        if (maturity == 0 || maturity > 4 * 365 days) revert StakedRexBadParameter("maturity");
        if (pointsCapDays == 0 || pointsCapDays > 365) revert StakedRexBadParameter("pointsCapDays");
        if (pointsPerDay > 1e24) revert StakedRexBadParameter("pointsPerDay");
        _deductionBps = deductionBps;
        _maturity = maturity;
        _pointsPerDay = pointsPerDay;
        _pointsCapDays = pointsCapDays;
        _maxLots = maturity / LOT_SPAN + 2;
        _deployer = msg.sender;
    }

    // ---------------------------------------------------------------- stake and redeem

    /// @inheritdoc IStakedRex
    function stake(uint256 amount) external nonReentrant {
        if (amount == 0) revert StakedRexZeroAmount();
        uint256 before = balanceOf(msg.sender);
        _settle(msg.sender);
        _settlePoints(msg.sender, before);
        uint256 held = _rexToken.balanceOf(address(this));
        _rexToken.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = _rexToken.balanceOf(address(this)) - held;
        if (received != amount) revert StakedRexTransferMismatch(amount, received);
        _addLot(msg.sender, amount);
        _mint(msg.sender, amount);
        _afterStakeChange(msg.sender, before, before + amount);
        emit StakedRexStaked(msg.sender, amount);
    }

    /// @inheritdoc IStakedRex
    function redeem(uint256 amount, uint256 maxDeduction)
        external
        nonReentrant
        returns (uint256 out, uint256 deduction, uint256 burned, uint256 pooled)
    {
        if (amount == 0) revert StakedRexZeroAmount();
        uint256 before = balanceOf(msg.sender);
        if (before < amount) revert StakedRexInsufficientBalance(msg.sender, before, amount);
        _settle(msg.sender);
        _settlePoints(msg.sender, before);
        deduction = _deduction(_takeLots(msg.sender, amount));
        if (deduction > maxDeduction) revert StakedRexDeductionTooHigh(deduction, maxDeduction);
        burned = deduction / 2;
        pooled = deduction - burned;
        out = amount - deduction;
        _burn(msg.sender, amount);
        _afterStakeChange(msg.sender, before, before - amount);
        _capPoints(msg.sender, before - amount);
        if (pooled != 0) _pool(pooled); // a free (matured) redemption leaves the deduction stream as it is
        emit StakedRexRedeemed(msg.sender, amount, out, deduction, burned, pooled);
        ERC20Burnable(address(_rexToken)).burn(burned);
        _rexToken.safeTransfer(msg.sender, out);
    }

    /// @inheritdoc IStakedRex
    function deductionOf(address account, uint256 amount) external view returns (uint256) {
        Lots storage lots = _lotsOf[account];
        uint256 left = amount > lots.matured ? amount - lots.matured : 0;
        uint256 weight;
        for (uint256 i = lots.head; i < lots.tail && left != 0; ++i) {
            Lot storage lot = _lot[account][i];
            uint256 take = Math.min(left, lot.amount);
            weight += take * _timeLeft(lot.time);
            left -= take;
        }
        return _deduction(weight);
    }

    /// @notice The deployment parameters: d0 (bps), T (s), points per sREX per day, cap days, the
    /// points spender, the most lots an account holds.
    function parameters()
        external
        view
        returns (uint256 deductionBps, uint256 maturity, uint256 pointsPerDay, uint256 pointsCapDays, address spender,
            uint256 maxLots)
    {
        return (_deductionBps, _maturity, _pointsPerDay, _pointsCapDays, _pointsSpender, _maxLots);
    }

    /// @notice `account`'s live lots, oldest first (times and amounts), and its matured stake.
    function lotsOf(address account)
        external
        view
        returns (uint256[] memory times, uint256[] memory amounts, uint256 matured)
    {
        Lots storage lots = _lotsOf[account];
        uint256 n = lots.tail - lots.head;
        times = new uint256[](n);
        amounts = new uint256[](n);
        for (uint256 i = 0; i < n; ++i) {
            Lot storage lot = _lot[account][lots.head + i];
            (times[i], amounts[i]) = (lot.time, lot.amount);
        }
        matured = lots.matured;
    }

    /// @notice The REX token.
    function rex() external view returns (address) {
        return address(_rexToken);
    }

    // ---------------------------------------------------------------- points

    /// @notice Names the one contract that may spend and refund points; the deployer, once.
    function setPointsSpender(address spender) external {
        if (msg.sender != _deployer || _pointsSpender != address(0) || spender == address(0)) {
            revert StakedRexUnauthorized(msg.sender);
        }
        _pointsSpender = spender;
        emit StakedRexPointsSpenderSet(spender);
    }

    /// @inheritdoc IStakedRex
    function pointsOf(address account) public view returns (uint256) {
        Points storage p = _points[account];
        uint256 balance = balanceOf(account);
        uint256 accrued = (balance * _pointsPerDay * (block.timestamp - p.updated)) / (POINTS_UNIT * 1 days);
        return Math.min(p.balance + accrued, pointsCap(balance));
    }

    /// @inheritdoc IStakedRex
    function pointsCap(uint256 balance) public view returns (uint256) {
        return (balance * _pointsPerDay * _pointsCapDays) / POINTS_UNIT;
    }

    /// @inheritdoc IStakedRex
    function spendPoints(address account, uint256 points) external {
        if (msg.sender != _pointsSpender) revert StakedRexUnauthorized(msg.sender);
        uint256 have = pointsOf(account);
        if (have < points) revert StakedRexInsufficientPoints(account, have, points);
        _points[account] = Points(uint192(have - points), uint64(block.timestamp));
        emit StakedRexPointsSpent(account, points);
    }

    /// @inheritdoc IStakedRex
    function refundPoints(address account, uint256 points) external {
        if (msg.sender != _pointsSpender) revert StakedRexUnauthorized(msg.sender);
        uint256 have = pointsOf(account);
        uint256 credited = Math.min(have + points, pointsCap(balanceOf(account))) - have;
        _points[account] = Points(uint192(have + credited), uint64(block.timestamp));
        emit StakedRexPointsRefunded(account, points, credited);
    }

    // ---------------------------------------------------------------- sREX is not transferable

    /// @dev Only mint (stake) and burn (redeem) move sREX.
    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && to != address(0)) revert StakedRexNonTransferable();
        super._update(from, to, value);
    }

    // ---------------------------------------------------------------- internals

    function _stakeOf(address account) internal view override returns (uint256) {
        return balanceOf(account);
    }

    function _principal() internal view override returns (uint256) {
        return totalSupply();
    }

    /// @dev Points accrued on `balance` (the balance they accrued on) up to now.
    function _settlePoints(address account, uint256 balance) private {
        Points storage p = _points[account];
        uint256 accrued = (balance * _pointsPerDay * (block.timestamp - p.updated)) / (POINTS_UNIT * 1 days);
        uint256 total = Math.min(p.balance + accrued, pointsCap(balance));
        _points[account] = Points(uint192(total), uint64(block.timestamp));
    }

    /// @dev After the balance fell to `balance`, points above its cap are cut.
    function _capPoints(address account, uint256 balance) private {
        uint256 cap = pointsCap(balance);
        if (_points[account].balance > cap) _points[account].balance = uint192(cap);
    }

    /// @dev Adds `amount` to the caller's newest lot if it is of this LOT_SPAN, else opens a lot;
    /// lots past T are folded into `matured` first, so at most `_maxLots` are live (bounded loops).
    function _addLot(address account, uint256 amount) private {
        Lots storage lots = _lotsOf[account];
        uint64 head = lots.head;
        uint64 tail = lots.tail;
        // Bounded: at most _maxLots live lots.
        while (head < tail && _timeLeft(_lot[account][head].time) == 0) {
            lots.matured += _lot[account][head].amount;
            delete _lot[account][head];
            ++head;
        }
        lots.head = head;
        if (head < tail && _lot[account][tail - 1].time / LOT_SPAN == block.timestamp / LOT_SPAN) {
            Lot storage last = _lot[account][tail - 1];
            last.amount += uint192(amount);
            last.time = uint64(block.timestamp);
        } else {
            // Cannot exceed _maxLots: live lots are younger than T, one per LOT_SPAN.
            _lot[account][tail] = Lot(uint64(block.timestamp), uint192(amount));
            lots.tail = tail + 1;
        }
    }

    /// @dev Takes `amount` from `account`'s matured stake, then its lots oldest first; returns the
    /// deduction weight: the sum of REX taken x seconds left to T.
    function _takeLots(address account, uint256 amount) private returns (uint256 weight) {
        Lots storage lots = _lotsOf[account];
        uint256 fromMatured = Math.min(amount, lots.matured);
        lots.matured -= fromMatured;
        uint256 left = amount - fromMatured;
        uint64 head = lots.head;
        // Bounded: at most _maxLots live lots.
        while (left != 0) {
            Lot storage lot = _lot[account][head];
            uint256 take = Math.min(left, lot.amount);
            weight += take * _timeLeft(lot.time);
            left -= take;
            if (take == lot.amount) {
                delete _lot[account][head];
                ++head;
            } else {
                lot.amount -= uint192(take);
            }
        }
        lots.head = head;
    }

    /// @dev d0 x weight / T, rounded up (computed once from the total, so splitting a redemption
    /// never pays less).
    function _deduction(uint256 weight) private view returns (uint256) {
        return Math.mulDiv(weight, _deductionBps, _maturity * BPS, Math.Rounding.Ceil);
    }

    function _timeLeft(uint256 time) private view returns (uint256) {
        uint256 age = block.timestamp - time;
        return age >= _maturity ? 0 : _maturity - age;
    }
}
