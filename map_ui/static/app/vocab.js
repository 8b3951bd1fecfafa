// The shared codes of DOMAIN.md with their Korean labels and colours (mirrors app/vocab.py and app/risk/levels.py).

export const RISK_LEVELS = ['high', 'medium', 'unvisited', 'low']; // most to least urgent

export const RISK_LABELS = { high: '고위험', medium: '중위험', low: '저위험', unvisited: '미방문' };

export const RISK_COLORS = { high: '#E53935', medium: '#FB8C00', low: '#1E88E5', unvisited: '#FFFFFF' };

export const EMPTY_TRACT_COLOR = '#9E9E9E';
export const OUTLINE_DARK = '#263238'; // unvisited points and overdue rings
export const OVERDUE_LABEL = '방문 기한 경과';

export const INDICATORS = {
  utility_cutoff: '단전·단수·단가스',
  rent_arrears: '월세·관리비 체납',
  insurance_arrears: '건강보험료 체납',
  unemployment: '실직·휴폐업',
  serious_illness: '중증질환',
  disability: '장애',
  elderly_alone: '독거노인',
  isolation: '사회적 고립·고독사 위험',
  housing_crisis: '주거 위기(퇴거·고시원·비닐하우스)',
  debt: '채무·금융 위기',
  child_at_risk: '아동 돌봄 공백',
  disaster: '재난·사고',
  other: '기타',
};

export const NEEDS = {
  rental_housing: '임대주택',
  employment: '고용',
  food: '식품',
  house_repair: '집수리',
  heating_cooling: '냉난방기',
  medical: '의료',
  care: '돌봄',
  finance: '금융·채무 상담',
  education: '교육',
  mental_health: '정신건강',
  legal: '법률',
  other: '기타',
};

export const SERVICE_TYPES = {
  benefit_application: '복지급여 신청',
  cash_support: '현금 지원',
  in_kind_support: '현물 지원',
  referral: '타기관 연계',
  case_management: '통합사례관리',
  sponsorship: '후원 연계',
};

export const SERVICE_STATUSES = { requested: '요청', in_progress: '진행중', delivered: '제공 완료', declined: '거절' };

export const VISITOR_TYPES = {
  official: '담당 공무원',
  welfare_dong_head: '복지동장',
  welfare_tongjang: '복지통장',
  council_member: '지역사회보장협의체 위원',
  visiting_nurse: '방문간호사',
  partner_worker: '방문형 직업 종사자(우체국·한전·도시가스·수도·배달)',
  volunteer: '자원봉사자',
};

export const CONTACT_TYPES = { visit: '방문', phone: '전화', other: '기타' };

export const CLOSE_REASONS = { death: '사망', moved_out: '전출', merged: '가구 통합', other: '기타' };

export const ROLES = {
  admin: '관리자',
  district_staff: '구청 담당',
  dong_staff: '동 담당',
  tongjang: '통장',
  partner: '협력기관',
};

// Facility categories: Korean label, a one-character map symbol and its colour.
export const FACILITY_CATEGORIES = {
  welfare_centre: { label: '복지관', symbol: '복', color: '#6A1B9A' },
  senior_welfare_centre: { label: '노인복지관', symbol: '노', color: '#4E342E' },
  disability_welfare_centre: { label: '장애인복지관', symbol: '장', color: '#00695C' },
  senior_centre: { label: '경로당', symbol: '경', color: '#795548' },
  community_child_centre: { label: '지역아동센터', symbol: '아', color: '#C2185B' },
  care_centre: { label: '돌봄센터', symbol: '돌', color: '#AD1457' },
  food_bank: { label: '푸드뱅크', symbol: '식', color: '#2E7D32' },
  public_health_centre: { label: '보건소', symbol: '보', color: '#0277BD' },
  mental_health_centre: { label: '정신건강복지센터', symbol: '정', color: '#283593' },
  self_sufficiency_centre: { label: '자활센터', symbol: '자', color: '#558B2F' },
  dementia_centre: { label: '치매안심센터', symbol: '치', color: '#4527A0' },
  family_centre: { label: '가족센터', symbol: '가', color: '#00838F' },
  senior_care: { label: '노인돌봄·요양', symbol: '요', color: '#5D4037' },
  disability_service: { label: '장애인 지원시설', symbol: '지', color: '#00796B' },
  other: { label: '기타', symbol: '기', color: '#455A64' },
};

export const SORTS = {
  risk: '위험도 순 (긴급한 가구 먼저)',
  '-last_visit_at': '최근 방문 순',
  last_visit_at: '오래전 방문 순',
  next_visit_due: '다음 방문 예정일 순',
  address: '주소 순',
};

/** Korean label of a code, or the code itself when unknown (never empty). */
export function label(table, code) {
  const entry = table[code];
  if (entry === undefined) return String(code);
  return typeof entry === 'string' ? entry : entry.label;
}

// Blind-spot reports (사각지대 발굴 신고): statuses, intake channels, the map marker's colour.
export const REPORT_STATUSES = { new: '접수', reviewing: '검토중', converted: '가구 등록', dismissed: '종결', duplicate: '중복' };
export const OPEN_REPORT_STATUSES = ['new', 'reviewing'];
export const REPORT_CHANNELS = { web: '모바일 신고 화면', api: 'API 등록', kakao: '카카오톡 채널', open311: 'Open311 연계' };
// Purple: none of the four risk colours, and a diamond, not a facility's square or a household's dot.
export const REPORT_COLOR = '#8E24AA';
export const NEEDS_LOCATION = '위치 확인 필요';
